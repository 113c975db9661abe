-- Grain: one row per lapse of a customer judged by inactivity (passing the filters, with no
-- explicit churn event up to $as_of): a purchase day p after which nothing was bought for
-- $window_days days. It is the one customer_days row whose span [day, next_day) contains
-- p + window, so one filtered scan finds every lapse:
--   churn_date  = p + window (on or before $as_of);
--   return_date = the next transaction day if it came by $as_of (the customer came back), else NULL;
--   revenue / gross_profit / purchase_days = the customer's lifetime totals at the lapse.
-- Customers by customer_key (integers: no string join or string column over a million
-- rows); attributes are looked up once per customer in Python, not per lapse.
WITH fc AS (
    SELECT customer_key FROM ({filtered_customers})
),
explicit AS (
    SELECT DISTINCT c.customer_key
    FROM churn_events AS e JOIN customers AS c USING (customer_id)
    WHERE e.churn_date <= $as_of
)
SELECT cd.customer_key                                           AS key,
       cd.last_purchase + CAST($window_days AS INTEGER)          AS churn_date,
       CASE WHEN cd.next_day <= $as_of THEN cd.next_day END      AS return_date,
       cd.revenue, cd.gross_profit, cd.purchase_days
FROM customer_days AS cd
WHERE cd.last_purchase IS NOT NULL
  AND cd.day <= cd.last_purchase + CAST($window_days AS INTEGER)
  AND cd.next_day > cd.last_purchase + CAST($window_days AS INTEGER)
  AND cd.last_purchase + CAST($window_days AS INTEGER) <= $as_of
  AND cd.customer_key NOT IN (SELECT customer_key FROM explicit)
  {key_filter}
ORDER BY key, churn_date
