-- Grain: as churn_lapses.sql (one row per lapse of a customer without explicit churn events
-- up to $as_of), but the window after each purchase is the customer's own: the days until the
-- BG/NBD probability alive falls below the threshold (see crm_core/exits/alive.py for the
-- formula; $log_odds = ln((1 - threshold) / threshold), model time in units of $unit_days
-- days). Customers with one purchase day keep $window_days (the model cannot judge them).
-- Customers by customer_key, as in churn_lapses.sql.
WITH fc AS (
    SELECT customer_key, first_purchase FROM ({filtered_customers})
),
explicit AS (
    SELECT DISTINCT c.customer_key
    FROM churn_events AS e JOIN customers AS c USING (customer_id)
    WHERE e.churn_date <= $as_of
),
windowed AS (
    SELECT cd.customer_key AS key, cd.day, cd.next_day, cd.last_purchase, cd.revenue, cd.gross_profit, cd.purchase_days,
           CASE WHEN cd.purchase_days > 1 THEN
               CAST(least(greatest(1, ceil($unit_days * (
                   exp(ln($alpha + (cd.last_purchase - fc.first_purchase) / $unit_days)
                       + ($log_odds - ln($a / ($b + cd.purchase_days - 2))) / ($r + cd.purchase_days - 1))
                   - $alpha - (cd.last_purchase - fc.first_purchase) / $unit_days))), $max_window) AS INTEGER)
           ELSE CAST($window_days AS INTEGER) END AS win
    FROM customer_days AS cd
    JOIN fc USING (customer_key)
    WHERE cd.last_purchase IS NOT NULL
      AND cd.customer_key NOT IN (SELECT customer_key FROM explicit)
)
SELECT key,
       last_purchase + win                                  AS churn_date,
       CASE WHEN next_day <= $as_of THEN next_day END       AS return_date,
       revenue, gross_profit, purchase_days
FROM windowed
WHERE day <= last_purchase + win
  AND next_day > last_purchase + win
  AND last_purchase + win <= $as_of
ORDER BY key, churn_date
