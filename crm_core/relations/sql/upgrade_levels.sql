-- Grain: one row per customer passing the filters and product category they bought in the
-- period ($start, $as_of] (lines with a positive amount): how many lines, and the median unit
-- price they paid (amount / quantity; a line without a quantity is one unit), beside the
-- category's lower- and upper-third unit prices over all its lines of the period. With
-- $category set, only that category.
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
),
l AS (
    SELECT t.customer_id, t.category, CAST(t.amount AS DOUBLE) / greatest(coalesce(t.quantity, 1), 1) AS unit_price
    FROM {category_lines} AS t
    WHERE t.amount > 0 AND t.tx_date > $start AND t.tx_date <= $as_of
      AND (CAST($category AS VARCHAR) IS NULL OR t.category = $category)
      {customer_filter}
),
q AS (
    SELECT category, quantile_cont(unit_price, 1 / 3) AS lower_third, quantile_cont(unit_price, 2 / 3) AS upper_third
    FROM l GROUP BY category
)
SELECT c.customer_id, c.category, c.lines, c.level, q.lower_third, q.upper_third
FROM (SELECT customer_id, category, count(*) AS lines, median(unit_price) AS level FROM l GROUP BY ALL) AS c
JOIN q USING (category)
ORDER BY c.category, c.customer_id
