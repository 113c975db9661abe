-- Grain: one row per calendar month from $since to $as_of (inclusive), filtered
-- customers. active_customers = distinct buyers in the month. Whole months come from
-- customer_months (a buyer is a row with orders > 0); the month of $as_of, cut at
-- $as_of, from the transactions themselves.
WITH fc AS (
    {filtered_customers}
),
months AS (
    SELECT CAST(m AS DATE) AS month
    FROM range(date_trunc('month', CAST($since AS DATE)), CAST($as_of AS DATE) + 1, INTERVAL 1 MONTH) r(m)
),
agg AS (
    SELECT month,
           sum(revenue) AS revenue,
           sum(gross_profit) AS gross_profit,
           count(*) FILTER (WHERE orders > 0) AS active_customers,
           CAST(sum(orders) AS BIGINT) AS orders
    FROM customer_months
    WHERE month >= date_trunc('month', CAST($since AS DATE)) AND month < date_trunc('month', CAST($as_of AS DATE))
          {key_filter}
    GROUP BY month
    UNION ALL
    SELECT CAST(date_trunc('month', purchase_date) AS DATE) AS month,
           sum(net_amount) AS revenue,
           sum(gross_profit) AS gross_profit,
           count(DISTINCT customer_id) FILTER (WHERE NOT is_return) AS active_customers,
           count(*) FILTER (WHERE NOT is_return AND order_id IS NULL)
             + count(DISTINCT row(customer_id, purchase_date, order_id)) FILTER (WHERE NOT is_return
                                                                         AND order_id IS NOT NULL) AS orders
    FROM stg_transactions
    WHERE purchase_date >= greatest(date_trunc('month', CAST($as_of AS DATE)), date_trunc('month', CAST($since AS DATE)))
      AND purchase_date <= $as_of {customer_filter}
    GROUP BY 1
)
SELECT months.month, coalesce(revenue, 0) AS revenue, coalesce(gross_profit, 0) AS gross_profit,
       coalesce(active_customers, 0) AS active_customers, coalesce(orders, 0) AS orders
FROM months LEFT JOIN agg USING (month)
ORDER BY months.month
