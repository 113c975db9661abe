-- Grain: one row per customer known as of $as_of (signed up or bought by then) who
-- passes the filters. All purchase metrics count transactions dated <= $as_of.
--   frequency = distinct purchase days (returns excluded); orders = purchase rows;
--   revenue / gross_profit = net of returns; recency_days = $as_of - last purchase.
WITH fc AS (
    {filtered_customers}
),
tx AS (
    SELECT customer_id,
           max(purchase_date) FILTER (WHERE first_of_day)   AS last_purchase,
           count(*) FILTER (WHERE first_of_day)              AS frequency,
           count(*) FILTER (WHERE NOT is_return)             AS orders,
           sum(net_amount)                                   AS revenue,
           sum(gross_profit)                                 AS gross_profit,
           coalesce(-sum(net_amount) FILTER (WHERE is_return), 0) AS returns
    FROM stg_transactions
    WHERE purchase_date <= $as_of {customer_filter}
    GROUP BY customer_id
),
base AS (
    SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type, fc.signup_date, fc.account_manager,
           CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS first_purchase,
           tx.last_purchase,
           coalesce(tx.frequency, 0)                         AS frequency,
           coalesce(tx.orders, 0)                            AS orders,
           coalesce(tx.revenue, 0)                           AS revenue,
           coalesce(tx.gross_profit, 0)                      AS gross_profit,
           coalesce(tx.returns, 0)                           AS returns,
           CAST($as_of AS DATE) - tx.last_purchase           AS recency_days,
           CAST($as_of AS DATE) - CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS tenure_days,
           tx.revenue / nullif(tx.orders, 0)                 AS average_order_value
    FROM fc LEFT JOIN tx USING (customer_id)
    WHERE fc.known_since <= $as_of
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
