-- Option "window" of customer_base: running totals as of the start of the recent window,
-- read only for customers whose totals changed in the window (next_day <= $as_of): for the
-- others the window's change is zero (see window__columns), and their rows are skipped.
tx1 AS (
    SELECT customer_key, purchase_days AS frequency, revenue, gross_profit
    FROM customer_days
    WHERE next_day > CAST($period_start AS DATE)
      AND next_day <= $as_of
      AND day <= CAST($period_start AS DATE) {key_filter}
),
