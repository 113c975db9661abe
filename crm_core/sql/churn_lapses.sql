-- Grain: one row per lapse of a customer judged by inactivity (passing the filters, with no
-- explicit churn event up to $as_of): a purchase day p after which nothing was bought for
-- $window_days days. It is the one customer_days row whose span [day, next_day) contains
-- p + window, so one filtered scan finds every lapse:
--   churn_date  = p + window (on or before $as_of);
--   return_date = the next transaction day if it came by $as_of (the customer came back), else NULL;
--   revenue / gross_profit / purchase_days = the customer's lifetime totals at the lapse. Customers by code
--   (see churn_customers.sql): attributes are looked up once, not per lapse.
WITH fc AS (
    SELECT row_number() OVER (ORDER BY customer_id) - 1 AS code, *   -- same codes as churn_customers.sql
    FROM ({filtered_customers})
),
explicit AS (
    SELECT DISTINCT customer_id FROM churn_events WHERE churn_date <= $as_of
)
SELECT fc.code,
       cd.last_purchase + CAST($window_days AS INTEGER)          AS churn_date,
       CASE WHEN cd.next_day <= $as_of THEN cd.next_day END      AS return_date,
       cd.revenue, cd.gross_profit, cd.purchase_days
FROM customer_days AS cd
JOIN fc USING (customer_id)
WHERE cd.last_purchase IS NOT NULL
  AND cd.day <= cd.last_purchase + CAST($window_days AS INTEGER)
  AND cd.next_day > cd.last_purchase + CAST($window_days AS INTEGER)
  AND cd.last_purchase + CAST($window_days AS INTEGER) <= $as_of
  AND cd.customer_id NOT IN (SELECT customer_id FROM explicit)
ORDER BY fc.code, churn_date
