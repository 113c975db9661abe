-- Grain: one row per product category bought (lines with a positive amount) by a customer
-- passing the filters up to $as_of: on how many lines (the most-bought take part when there
-- are more than the masks hold). A line's category is its own, else its product's.
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
)
SELECT t.category, count(*) AS lines
FROM {category_lines} AS t
WHERE t.amount > 0 AND t.tx_date <= $as_of {customer_filter}
GROUP BY 1
ORDER BY lines DESC, category
