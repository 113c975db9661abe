-- Grain: one row per customer known as of $as_of (signed up or bought by then) who
-- passes the filters. All purchase metrics count transactions dated <= $as_of.
--   frequency = distinct purchase days (returns excluded); orders = purchase rows;
--   revenue / gross_profit = net of returns; recency_days = $as_of - last purchase;
--   period_* = the same over the recent window ($period_days days up to $as_of), which
--   decides who is active (period_frequency > 0) for the pyramid and micro-segments.
WITH fc AS (
    {filtered_customers}
),
tx AS (   -- each customer's running totals as of $as_of (see migration 004)
    SELECT customer_id, last_purchase, purchase_days AS frequency, orders,
           round(revenue, 2) AS revenue, round(gross_profit, 2) AS gross_profit, round(returns, 2) AS returns
    FROM customer_days   -- rounded to cents: running DOUBLE sums must not split ties
    WHERE next_day > $as_of AND day <= $as_of {customer_filter}
),
tx1 AS (  -- the same as of the start of the recent window ($period_days days before $as_of)
    SELECT customer_id, purchase_days AS frequency, revenue, gross_profit
    FROM customer_days
    WHERE next_day > CAST($as_of AS DATE) - CAST($period_days AS INTEGER)
      AND day <= CAST($as_of AS DATE) - CAST($period_days AS INTEGER) {customer_filter}
),
base AS (
    SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type, fc.industry, fc.signup_date, fc.account_manager,
           CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS first_purchase,
           tx.last_purchase,
           coalesce(tx.frequency, 0)                         AS frequency,
           coalesce(tx.orders, 0)                            AS orders,
           coalesce(tx.revenue, 0)                           AS revenue,
           coalesce(tx.gross_profit, 0)                      AS gross_profit,
           coalesce(tx.returns, 0)                           AS returns,
           CAST($as_of AS DATE) - tx.last_purchase           AS recency_days,
           CAST($as_of AS DATE) - CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS tenure_days,
           tx.revenue / nullif(tx.orders, 0)                 AS average_order_value,
           coalesce(tx.frequency, 0) - coalesce(tx1.frequency, 0)                     AS period_frequency,
           round(coalesce(tx.revenue, 0) - coalesce(tx1.revenue, 0), 2)               AS period_revenue,
           round(coalesce(tx.gross_profit, 0) - coalesce(tx1.gross_profit, 0), 2)     AS period_gross_profit
    FROM fc LEFT JOIN tx USING (customer_id) LEFT JOIN tx1 USING (customer_id)
    WHERE fc.known_since <= $as_of
)
SELECT * FROM base
ORDER BY customer_id
