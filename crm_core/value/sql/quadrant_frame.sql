-- Grain: one row per customer passing the filters who bought in the window ($start, $as_of]
-- or cost something in it: the window's revenue, gross profit and purchase days
-- (window_activity.sql) beside the cost to serve (cost_to_serve.sql, $end = $as_of): the sum,
-- in the order of COST_COMPONENTS, of the components named in $components (the others
-- count 0). One statement, so the two per-customer frames meet in DuckDB's hash join
-- instead of a sorted merge of two million-row frames in pandas.
WITH activity AS (
{window_activity}
),
costs AS (
{cost_to_serve}
),
joined AS (
    SELECT coalesce(a.customer_id, c.customer_id)     AS customer_id,
           coalesce(a.region, c.region)               AS region,
           coalesce(a.channel, c.channel)             AS channel,
           coalesce(a.customer_type, c.customer_type) AS customer_type,
           coalesce(a.revenue, 0)                     AS revenue,
           coalesce(a.gross_profit, 0)                AS gross_profit,
           CAST(coalesce(a.purchases, 0) AS BIGINT)   AS purchases,
           coalesce(CASE WHEN list_contains($components, 'service_cost') THEN c.service_cost ELSE 0 END
                    + CASE WHEN list_contains($components, 'order_cost') THEN c.order_cost ELSE 0 END
                    + CASE WHEN list_contains($components, 'return_cost') THEN c.return_cost ELSE 0 END
                    + CASE WHEN list_contains($components, 'discounts') THEN c.discounts ELSE 0 END
                    + CASE WHEN list_contains($components, 'loyalty_cost') THEN c.loyalty_cost ELSE 0 END
                    + CASE WHEN list_contains($components, 'manager_cost') THEN c.manager_cost ELSE 0 END,
                    0)                                AS cost_to_serve
    FROM activity AS a FULL JOIN costs AS c ON c.customer_id = a.customer_id
)
SELECT * FROM joined
WHERE purchases > 0 OR cost_to_serve > 0
ORDER BY customer_id
