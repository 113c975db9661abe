-- Grain: one row per period p (0 = the $period_days days up to $as_of, 1 = the period
-- before, 2 = the one before that), for the customers passing the filters.
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
    SELECT t.customer_id, t.purchase_date, t.net_amount, t.gross_profit, t.is_return,
           CASE WHEN t.purchase_date > w.d1 THEN 0 WHEN t.purchase_date > w.d2 THEN 1 ELSE 2 END AS p
    FROM stg_transactions t CROSS JOIN w
    WHERE t.purchase_date > w.d3 AND t.purchase_date <= w.d0
      AND t.customer_id IN (SELECT customer_id FROM fc)
),
per_day AS (
    SELECT customer_id, p, purchase_date, count(*) FILTER (WHERE NOT is_return) AS orders,
           sum(net_amount) AS revenue, sum(gross_profit) AS gross_profit
    FROM tx GROUP BY ALL
),
per_cust AS (
    SELECT customer_id, p, count(*) FILTER (WHERE orders > 0) AS days, sum(orders) AS orders,
           sum(revenue) AS revenue, sum(gross_profit) AS gross_profit
    FROM per_day GROUP BY ALL
),
exits AS (
    SELECT DISTINCT e.customer_id,
           CASE WHEN e.churn_date > w.d1 THEN 0 WHEN e.churn_date > w.d2 THEN 1 ELSE 2 END AS p
    FROM stg_churn_events e CROSS JOIN w
    WHERE e.churn_date > w.d3 AND e.churn_date <= w.d0
      AND e.customer_id IN (SELECT customer_id FROM fc)
),
flags AS (
    SELECT coalesce(c.customer_id, x.customer_id) AS customer_id,
           bool_or(c.p = 0 AND c.orders > 0) AS a0, bool_or(c.p = 1 AND c.orders > 0) AS a1,
           bool_or(c.p = 2 AND c.orders > 0) AS a2,
           bool_or(x.p = 0) AS e0, bool_or(x.p = 1) AS e1
    FROM per_cust c FULL JOIN exits x ON c.customer_id = x.customer_id AND c.p = x.p
    GROUP BY 1
),
churn AS (
    SELECT 0 AS p, count(*) FILTER (WHERE a1) AS churn_base,
           count(*) FILTER (WHERE a1 AND (NOT coalesce(a0, FALSE) OR coalesce(e0, FALSE))) AS churned
    FROM flags
    UNION ALL
    SELECT 1, count(*) FILTER (WHERE a2),
           count(*) FILTER (WHERE a2 AND (NOT coalesce(a1, FALSE) OR coalesce(e1, FALSE)))
    FROM flags
),
known AS (
    SELECT fc.customer_id, least(fc.signup_date, f.first_purchase) AS since
    FROM fc LEFT JOIN (SELECT customer_id, min(purchase_date) AS first_purchase
                       FROM stg_transactions WHERE NOT is_return GROUP BY 1) f USING (customer_id)
),
known_counts AS (
    SELECT 0 AS p, count(*) FILTER (WHERE since <= w.d0) AS customers FROM known CROSS JOIN w
    UNION ALL
    SELECT 1, count(*) FILTER (WHERE since <= w.d1) FROM known CROSS JOIN w
),
periods AS (
    SELECT p, CAST(sum(revenue) AS DOUBLE) AS revenue, CAST(sum(gross_profit) AS DOUBLE) AS gross_profit,
           sum(orders) AS orders, count(*) FILTER (WHERE orders > 0) AS active,
           count(*) FILTER (WHERE days >= 2) AS repeaters
    FROM per_cust GROUP BY p
)
SELECT k.p, k.customers, coalesce(pr.active, 0) AS active_customers, coalesce(pr.revenue, 0) AS revenue,
       coalesce(pr.gross_profit, 0) AS gross_profit, coalesce(pr.orders, 0) AS orders,
       coalesce(pr.repeaters, 0) AS repeaters, c.churn_base, c.churned
FROM known_counts k
LEFT JOIN periods pr USING (p)
LEFT JOIN churn c USING (p)
ORDER BY k.p
