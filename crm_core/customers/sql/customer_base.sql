-- Grain: one row per customer known as of $as_of (signed up or bought by then) who
-- passes the filters. All purchase metrics count transactions dated <= $as_of.
--   frequency = distinct purchase days (returns excluded); orders = purchase rows;
--   average_order_value = revenue / frequency (a purchase = a customer's lines of one day);
--   revenue / gross_profit = net of returns; recency_days = $as_of - last purchase;
--   period_* (option "window") = the same over the recent window ($period_days days up to
--   $as_of), which decides who is active (period_frequency > 0) for the pyramid.
WITH fc AS (
    {filtered_customers}
),
tx AS (   -- each customer's running totals as of $as_of (see migration 004), joined by integer key
    SELECT customer_key, day AS state_day, last_purchase, purchase_days AS frequency, orders,
           round(revenue, 2) AS revenue, round(gross_profit, 2) AS gross_profit, round(returns, 2) AS returns
    FROM customer_days   -- rounded to cents: running DOUBLE sums must not split ties
    WHERE next_day > $as_of AND day <= $as_of {key_filter}
),
{window__cte}
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
           tx.revenue / nullif(tx.frequency, 0)              AS average_order_value   -- per purchase day
           {window__columns}
    FROM fc LEFT JOIN tx ON tx.customer_key = fc.customer_key {window__join}
    WHERE fc.known_since <= $as_of
)
SELECT * FROM base
ORDER BY customer_id
