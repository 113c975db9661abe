-- Grain: one row per distinct set of categories in a basket: the set as a bit mask (bit i:
-- $categories[i + 1]) and how many baskets of the period ($start, $as_of] have exactly that
-- set. A basket is an order (a customer's lines sharing an order number), or a customer's
-- lines of one day where no order number is recorded; only lines with a positive amount in
-- one of $categories count, so a basket holds at least one of them.
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
),
lines AS (
    SELECT t.customer_id, t.tx_date, t.order_id,
           list_position($categories, t.category) AS pos
    FROM {category_lines} AS t
    WHERE t.amount > 0 AND t.tx_date > $start AND t.tx_date <= $as_of {customer_filter}
)
SELECT mask, count(*) AS baskets
FROM (SELECT bit_or(CAST(1 AS UBIGINT) << CAST(pos - 1 AS UBIGINT)) AS mask
      FROM lines WHERE pos IS NOT NULL
      GROUP BY customer_id, tx_date, order_id)
GROUP BY mask
