-- Grain: one row per date of $dates and lifecycle stage with its customers: the stage sizes
-- of crm_core.journey.lifecycle written as one plain query, for the benchmark (the time of
-- the same aggregate in plain DuckDB, printed beside the library's) and for the test that
-- both agree. Definitions as in crm_core/journey/lifecycle.py; churn as in churn_explicit.sql
-- and churn_lapses.sql (explicit exit events, else $window_days without a purchase).
WITH fc AS (
    SELECT customer_key, customer_id, first_purchase, known_since FROM ({filtered_customers})
),
d AS (
    SELECT unnest(CAST($dates AS DATE[])) AS d
),
first_event AS (
    SELECT customer_id, min(churn_date) AS churn_date FROM churn_events WHERE churn_date <= $as_of GROUP BY customer_id
),
explicit AS (
    SELECT fc.customer_key, e.churn_date, e.churn_date >= fc.first_purchase AS valid
    FROM first_event AS e JOIN fc USING (customer_id)
),
lapses AS (
    SELECT cd.customer_key,
           cd.last_purchase + CAST($window_days AS INTEGER)         AS churn_date,
           CASE WHEN cd.next_day <= $as_of THEN cd.next_day END     AS return_date
    FROM customer_days AS cd
    WHERE cd.last_purchase IS NOT NULL
      AND cd.day <= cd.last_purchase + CAST($window_days AS INTEGER)
      AND cd.next_day > cd.last_purchase + CAST($window_days AS INTEGER)
      AND cd.last_purchase + CAST($window_days AS INTEGER) <= $as_of
      AND cd.customer_key NOT IN (SELECT customer_key FROM explicit)
),
known AS (
    SELECT fc.customer_key, fc.first_purchase, d.d
    FROM fc JOIN d ON fc.known_since <= d.d
),
churn_state AS (
    SELECT k.customer_key, k.d,
           bool_or(l.churn_date <= k.d AND (l.return_date IS NULL OR l.return_date > k.d)) AS lapsed,
           bool_or(l.return_date <= k.d AND l.return_date > k.d - CAST($new_days AS INTEGER)) AS back
    FROM known AS k JOIN lapses AS l ON l.customer_key = k.customer_key
    GROUP BY ALL
),
stages AS (
    SELECT CASE
             WHEN k.first_purchase IS NULL OR k.first_purchase > k.d THEN 'prospect'
             WHEN (e.valid AND e.churn_date <= k.d) OR cs.lapsed THEN 'churned'
             WHEN cs.back THEN 'won_back'
             WHEN k.first_purchase > k.d - CAST($new_days AS INTEGER) THEN 'new'
             WHEN cd.purchase_days >= 2 AND cd.last_purchase IS NOT NULL
                  AND k.d - cd.last_purchase > $risk_factor * (cd.last_purchase - k.first_purchase) / (cd.purchase_days - 1)
                  THEN 'at_risk'
             WHEN cd.purchase_days >= $loyal_purchases THEN 'loyal'
             ELSE 'active'
           END AS stage, k.d
    FROM known AS k
    LEFT JOIN explicit AS e ON e.customer_key = k.customer_key
    LEFT JOIN churn_state AS cs ON cs.customer_key = k.customer_key AND cs.d = k.d
    LEFT JOIN customer_days AS cd ON cd.customer_key = k.customer_key AND cd.day <= k.d AND cd.next_day > k.d
)
SELECT d, stage, count(*) AS customers FROM stages GROUP BY ALL ORDER BY d, stage
