-- Grain: one row per customer passing the filters who bought in one of $categories up to
-- $as_of (lines with a positive amount): customer_key, customer_id and the categories bought, as a bit
-- mask (bit i: $categories[i + 1]).
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
)
SELECT c.customer_key, c.customer_id, m.mask
FROM (SELECT t.customer_id,
             bit_or(CAST(1 AS UBIGINT) << CAST(list_position($categories, t.category) - 1 AS UBIGINT)) AS mask
      FROM {category_lines} AS t
      WHERE t.amount > 0 AND t.tx_date <= $as_of {customer_filter}
        AND list_position($categories, t.category) IS NOT NULL
      GROUP BY t.customer_id) AS m
JOIN customers AS c USING (customer_id)
ORDER BY c.customer_key
