-- Grain: one row per customer known as of $as_of (signed up or bought by then) who
-- passes the filters. All purchase metrics count transactions dated <= $as_of.
--   frequency = distinct purchase days (returns excluded); orders = purchase rows;
--   revenue / gross_profit = net of returns; recency_days = $as_of - last purchase.
WITH fc AS (
    {filtered_customers}
),
days AS (   -- one row per customer and day: makes "distinct days" a plain count
    SELECT t.customer_id, t.purchase_date,
           count(*) FILTER (WHERE NOT t.is_return)      AS orders,
           sum(t.net_amount)                            AS revenue,
           sum(t.gross_profit)                          AS gross_profit,
           sum(t.net_amount) FILTER (WHERE t.is_return) AS returns
    FROM stg_transactions t
    WHERE t.purchase_date <= $as_of
    GROUP BY ALL
),
tx AS (
    SELECT customer_id,
           min(purchase_date) FILTER (WHERE orders > 0) AS first_purchase,
           max(purchase_date) FILTER (WHERE orders > 0) AS last_purchase,
           count(*) FILTER (WHERE orders > 0)           AS frequency,
           sum(orders)                                  AS orders,
           sum(revenue)                                 AS revenue,
           sum(gross_profit)                            AS gross_profit,
           coalesce(-sum(returns), 0)                   AS returns
    FROM days
    GROUP BY customer_id
),
base AS (
    SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type, fc.signup_date, fc.account_manager,
           tx.first_purchase, tx.last_purchase,
           coalesce(tx.frequency, 0)                        AS frequency,
           coalesce(tx.orders, 0)                           AS orders,
           CAST(coalesce(tx.revenue, 0) AS DOUBLE)          AS revenue,
           CAST(coalesce(tx.gross_profit, 0) AS DOUBLE)     AS gross_profit,
           CAST(coalesce(tx.returns, 0) AS DOUBLE)          AS returns,
           CAST($as_of AS DATE) - tx.last_purchase          AS recency_days,
           CAST($as_of AS DATE) - tx.first_purchase         AS tenure_days,
           CAST(tx.revenue AS DOUBLE) / nullif(tx.orders, 0) AS average_order_value
    FROM fc LEFT JOIN tx USING (customer_id)
    WHERE fc.signup_date <= $as_of OR tx.first_purchase IS NOT NULL
)
-- Scores 1..$bins by rank among buyers; ties are broken by customer_id so equal
-- inputs always get the same, reproducible score. Higher is better for all three.
SELECT base.*,
       CASE WHEN frequency > 0 THEN ntile(CAST($bins AS INTEGER)) OVER (PARTITION BY frequency > 0
            ORDER BY recency_days DESC, customer_id DESC) END AS r_score,
       CASE WHEN frequency > 0 THEN ntile(CAST($bins AS INTEGER)) OVER (PARTITION BY frequency > 0
            ORDER BY frequency, customer_id) END AS f_score,
       CASE WHEN frequency > 0 THEN ntile(CAST($bins AS INTEGER)) OVER (PARTITION BY frequency > 0
            ORDER BY revenue, customer_id) END AS m_score
FROM base
