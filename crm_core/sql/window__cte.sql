-- Option "window" of customer_base: running totals as of the start of the recent window.
tx1 AS (
    SELECT customer_id, purchase_days AS frequency, revenue, gross_profit
    FROM customer_days
    WHERE next_day > CAST($as_of AS DATE) - CAST($period_days AS INTEGER)
      AND day <= CAST($as_of AS DATE) - CAST($period_days AS INTEGER) {customer_filter}
),
