-- Grain: one row per calendar month from $since to $as_of (inclusive), filtered
-- customers. active_customers = distinct buyers in the month (first_of_month rows).
WITH fc AS (
    {filtered_customers}
),
months AS (
    SELECT CAST(m AS DATE) AS month
    FROM range(date_trunc('month', CAST($since AS DATE)), CAST($as_of AS DATE) + 1, INTERVAL 1 MONTH) r(m)
),
agg AS (
    SELECT CAST(date_trunc('month', purchase_date) AS DATE) AS month,
           sum(net_amount) AS revenue,
           sum(gross_profit) AS gross_profit,
           count(*) FILTER (WHERE first_of_month) AS active_customers,
           count(*) FILTER (WHERE NOT is_return) AS orders
    FROM stg_transactions
    WHERE purchase_date >= date_trunc('month', CAST($since AS DATE)) AND purchase_date <= $as_of {customer_filter}
    GROUP BY 1
)
SELECT months.month, coalesce(revenue, 0) AS revenue, coalesce(gross_profit, 0) AS gross_profit,
       coalesce(active_customers, 0) AS active_customers, coalesce(orders, 0) AS orders
FROM months LEFT JOIN agg USING (month)
ORDER BY months.month
