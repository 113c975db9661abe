-- Grain: one row per customer (passing the filters) with an explicit churn event up to
-- $as_of: their first event (date, reason, detail) and their lifetime totals at that date.
-- The totals are joined by customer_key (an integer, which the scan of customer_days filters
-- by: for one customer, a lake reads one bucket file of it).
WITH fc AS (
    SELECT customer_key, customer_id FROM ({filtered_customers})
),
first_event AS (
    SELECT customer_id, min_by(churn_date, churn_date) AS churn_date, min_by(reason, churn_date) AS reason,
           min_by(reason_detail, churn_date) AS reason_detail
    FROM churn_events
    WHERE churn_date <= $as_of {customer_filter}
    GROUP BY customer_id
)
SELECT fc.customer_key AS key, e.churn_date, e.reason, e.reason_detail,
       coalesce(cd.revenue, 0) AS revenue, coalesce(cd.gross_profit, 0) AS gross_profit,
       coalesce(cd.purchase_days, 0) AS purchase_days
FROM first_event AS e
JOIN fc USING (customer_id)
LEFT JOIN customer_days AS cd
       ON cd.customer_key = fc.customer_key AND cd.day <= e.churn_date AND cd.next_day > e.churn_date
ORDER BY key
