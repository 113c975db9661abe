-- Grain: one row per customer (passing the filters) with any transaction in the window
-- ($start, $as_of]: the change of their running totals over the window (see migration 004),
--   purchases = purchase days in the window; revenue / gross_profit = net of returns.
-- Only customer_days rows inside or bordering the window are read, never the whole history.
WITH fc AS (
    {filtered_customers}
),
after AS (     -- state at $as_of of customers whose latest row falls in the window
    SELECT customer_key, purchase_days, revenue, gross_profit
    FROM customer_days
    WHERE day > $start AND day <= $as_of AND next_day > $as_of {key_filter}
),
before AS (    -- their state at $start (absent: no transaction before the window)
    SELECT customer_key, purchase_days, revenue, gross_profit
    FROM customer_days
    WHERE day <= $start AND next_day > $start AND next_day <= $as_of {key_filter}
)
SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type,
       round(after.revenue - coalesce(before.revenue, 0), 2)           AS revenue,
       round(after.gross_profit - coalesce(before.gross_profit, 0), 2) AS gross_profit,
       after.purchase_days - coalesce(before.purchase_days, 0)         AS purchases
FROM after
JOIN fc USING (customer_key)          -- customer_days by the integer key
LEFT JOIN before USING (customer_key)
ORDER BY fc.customer_id
