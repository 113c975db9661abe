-- Grain: one row per product category bought (lines with a positive amount) by a customer
-- passing the filters up to $as_of: on how many lines (the most-bought take part when there
-- are more than the masks hold). A line's category is its own, else its product's.
-- Option "days" (no filter set): the lines with a category of their own are counted from
-- category_days (a few rows per day, kept at load), and only the others are read.
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
)
SELECT category, CAST(sum(lines) AS BIGINT) AS lines
FROM ({days__affinity_day_counts}
      SELECT t.category, count(*) AS lines
      FROM {category_lines} AS t
      WHERE t.amount > 0 AND t.tx_date <= $as_of {customer_filter} {days__affinity_uncounted}
      GROUP BY 1)
GROUP BY 1
ORDER BY lines DESC, category
