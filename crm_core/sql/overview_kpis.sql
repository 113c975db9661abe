-- Grain: one row per period p (0 = the $period_days days up to $as_of, 1 = the period
-- before), for the customers passing the filters.
--   active      = customers with a purchase in the period
--   repeaters   = active customers with purchases on >= 2 distinct days in the period
--   churn_base  = customers active in the period before
--   churned     = of those, no purchase in this period, or an exit event during it
--   customers   = known at the period's end (signed up or bought by then)
WITH fc AS (
    {filtered_customers}
),
w AS (
    SELECT CAST($as_of AS DATE) AS d0,
           CAST($as_of AS DATE) - CAST($period_days AS INTEGER)     AS d1,
           CAST($as_of AS DATE) - 2 * CAST($period_days AS INTEGER) AS d2,
           CAST($as_of AS DATE) - 3 * CAST($period_days AS INTEGER) AS d3
),
tx AS (
    SELECT customer_id, net_amount, gross_profit, is_return, first_of_day,
           CASE WHEN purchase_date > w.d1 THEN 0 WHEN purchase_date > w.d2 THEN 1 ELSE 2 END AS p
    FROM stg_transactions CROSS JOIN w
    WHERE purchase_date > w.d3 AND purchase_date <= w.d0 {customer_filter}
),
totals AS (
    SELECT p, sum(net_amount) AS revenue, sum(gross_profit) AS gross_profit,
           count(*) FILTER (WHERE NOT is_return) AS orders
    FROM tx WHERE p < 2 GROUP BY p
),
days AS (   -- purchase days per customer in each period (first_of_day rows only)
    SELECT customer_id, count(*) FILTER (WHERE p = 0) AS d0, count(*) FILTER (WHERE p = 1) AS d1,
           count(*) FILTER (WHERE p = 2) AS d2
    FROM tx WHERE first_of_day GROUP BY customer_id
),
exits AS (
    SELECT e.customer_id, bool_or(e.churn_date > w.d1) AS e0, bool_or(e.churn_date <= w.d1) AS e1
    FROM stg_churn_events e CROSS JOIN w
    WHERE e.churn_date > w.d2 AND e.churn_date <= w.d0 {customer_filter}
    GROUP BY e.customer_id
),
flags AS (
    SELECT coalesce(d.d0, 0) AS d0, coalesce(d.d1, 0) AS d1, coalesce(d.d2, 0) AS d2,
           coalesce(x.e0, FALSE) AS e0, coalesce(x.e1, FALSE) AS e1
    FROM days d FULL JOIN exits x USING (customer_id)
),
per_period AS (
    SELECT 0 AS p, count(*) FILTER (WHERE d0 > 0) AS active, count(*) FILTER (WHERE d0 >= 2) AS repeaters,
           count(*) FILTER (WHERE d1 > 0) AS churn_base, count(*) FILTER (WHERE d1 > 0 AND (d0 = 0 OR e0)) AS churned
    FROM flags
    UNION ALL
    SELECT 1, count(*) FILTER (WHERE d1 > 0), count(*) FILTER (WHERE d1 >= 2),
           count(*) FILTER (WHERE d2 > 0), count(*) FILTER (WHERE d2 > 0 AND (d1 = 0 OR e1))
    FROM flags
),
known AS (
    SELECT 0 AS p, count(*) FILTER (WHERE known_since <= w.d0) AS customers FROM fc CROSS JOIN w
    UNION ALL
    SELECT 1, count(*) FILTER (WHERE known_since <= w.d1) FROM fc CROSS JOIN w
)
SELECT k.p, k.customers, pp.active AS active_customers, coalesce(t.revenue, 0) AS revenue,
       coalesce(t.gross_profit, 0) AS gross_profit, coalesce(t.orders, 0) AS orders,
       pp.repeaters, pp.churn_base, pp.churned
FROM known k
JOIN per_period pp USING (p)
LEFT JOIN totals t USING (p)
ORDER BY k.p
