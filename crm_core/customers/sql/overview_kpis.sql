-- Grain: one row per period p (0 = the $period_days days up to $as_of, 1 = the period
-- before), for the customers passing the filters.
--   active      = customers with a purchase in the period
--   repeaters   = active customers with purchases on >= 2 distinct days in the period
--   lapse_base  = customers active in the period before
--   lapsed      = of those, no purchase in this period, or an exit event during it (the lapse
--                 rate; the churn rate is another measure, see crm_core/exits/churn.py)
--   customers   = known at the period's end (signed up or bought by then)
--   purchases   = purchase days in the period, summed over customers: one customer's lines of one
--                 day are one purchase (as in the CLV model); average order value = revenue / purchases
-- Each customer's activity in a period is the difference of their running totals
-- (customer_days) at the period's two ends: a few filtered scans, no aggregation
-- over transactions. With the option "values" the row p = 0 also lists each buyer's revenue
-- and gross profit in the period (the Pareto curves: crm_core.customers.overview.headline),
-- from the same scans.
WITH fc AS (
    {filtered_customers}
),
w AS (
    SELECT CAST($as_of AS DATE) AS d0,
           CAST($period_start AS DATE)     AS d1,
           CAST($period_start_2 AS DATE) AS d2,
           CAST($period_start_3 AS DATE) AS d3
),
s0 AS (   -- running totals as of d0
    SELECT customer_key, purchase_days AS pd, orders, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($as_of AS DATE) AND day <= CAST($as_of AS DATE) {key_filter}
),
s1 AS (   -- running totals as of d1
    SELECT customer_key, purchase_days AS pd, orders, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($period_start AS DATE) AND day <= CAST($period_start AS DATE) {key_filter}
),
s2 AS (   -- running totals as of d2
    SELECT customer_key, purchase_days AS pd, orders, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($period_start_2 AS DATE) AND day <= CAST($period_start_2 AS DATE) {key_filter}
),
s3 AS (   -- running totals as of d3
    SELECT customer_key, purchase_days AS pd, orders, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($period_start_3 AS DATE) AND day <= CAST($period_start_3 AS DATE) {key_filter}
),
per_cust AS (   -- purchase days, orders and money in each period: differences of states
    SELECT s0.customer_key,
           s0.pd - coalesce(s1.pd, 0) AS d0, coalesce(s1.pd, 0) - coalesce(s2.pd, 0) AS d1,
           coalesce(s2.pd, 0) - coalesce(s3.pd, 0) AS d2,
           s0.revenue - coalesce(s1.revenue, 0) AS rev0, coalesce(s1.revenue, 0) - coalesce(s2.revenue, 0) AS rev1,
           s0.gross_profit - coalesce(s1.gross_profit, 0) AS gp0,
           coalesce(s1.gross_profit, 0) - coalesce(s2.gross_profit, 0) AS gp1,
           s0.orders - coalesce(s1.orders, 0) AS o0, coalesce(s1.orders, 0) - coalesce(s2.orders, 0) AS o1
    FROM s0 LEFT JOIN s1 USING (customer_key) LEFT JOIN s2 USING (customer_key) LEFT JOIN s3 USING (customer_key)
),
totals AS (
    SELECT 0 AS p, sum(rev0) AS revenue, sum(gp0) AS gross_profit, CAST(sum(o0) AS DOUBLE) AS orders,
           CAST(sum(d0) AS DOUBLE) AS purchases FROM per_cust
    UNION ALL
    SELECT 1, sum(rev1), sum(gp1), CAST(sum(o1) AS DOUBLE), CAST(sum(d1) AS DOUBLE) FROM per_cust
),
days AS (
    SELECT customer_key, d0, d1, d2 FROM per_cust WHERE d0 > 0 OR d1 > 0 OR d2 > 0
),
exits AS (   -- (by key, as customer_days; the customers passing the filters are fc, read once)
    SELECT c.customer_key, bool_or(e.churn_date > w.d1) AS e0, bool_or(e.churn_date <= w.d1) AS e1
    FROM stg_churn_events e JOIN fc c USING (customer_id) CROSS JOIN w
    WHERE e.churn_date > w.d2 AND e.churn_date <= w.d0
    GROUP BY c.customer_key
),
flags AS (
    SELECT coalesce(d.d0, 0) AS d0, coalesce(d.d1, 0) AS d1, coalesce(d.d2, 0) AS d2,
           coalesce(x.e0, FALSE) AS e0, coalesce(x.e1, FALSE) AS e1
    FROM days d FULL JOIN exits x USING (customer_key)
),
per_period AS (
    SELECT 0 AS p, count(*) FILTER (WHERE d0 > 0) AS active, count(*) FILTER (WHERE d0 >= 2) AS repeaters,
           count(*) FILTER (WHERE d1 > 0) AS lapse_base, count(*) FILTER (WHERE d1 > 0 AND (d0 = 0 OR e0)) AS lapsed
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
{values__cte}
-- The counts summed in totals travel as DOUBLE (exact far beyond any count here): summed as
-- integers, DuckDB 2.0.1 narrowed them through the joins below to one byte, wrapping 116,173
-- orders to -51 for a period holding the whole history (tests/test_overview.py checks it).
SELECT k.p, k.customers, pp.active AS active_customers, coalesce(t.revenue, 0) AS revenue,
       coalesce(t.gross_profit, 0) AS gross_profit, coalesce(t.orders, 0) AS orders,
       coalesce(t.purchases, 0) AS purchases,
       pp.repeaters, pp.lapse_base, pp.lapsed {values__columns}
FROM known k
JOIN per_period pp USING (p)
LEFT JOIN totals t USING (p)
{values__join}
ORDER BY k.p
