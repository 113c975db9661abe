-- Grain: one row per service case of a customer passing the filters, opened in
-- ($since, $as_of]: its type and channel, satisfaction, and the hours to the first answer
-- and to resolution (NULL: none by $as_of); with what the customer did around it, from
-- customer_days' running totals at the end of the opening day d, of day d + $horizon_days
-- (cut at $as_of) and of day d - $horizon_days: purchase days and revenue in the h days after
-- the opening day, and revenue in the h days up to and including it.
WITH fc AS (     -- code: the customer's number in the churn history (filtered customers in key order)
    SELECT customer_key, customer_id, CAST(row_number() OVER (ORDER BY customer_key) - 1 AS BIGINT) AS code
    FROM ({filtered_customers})
),
c AS (
    SELECT fc.customer_key, fc.code, s.opened_at, CAST(s.opened_at AS DATE) AS day,
           coalesce(s.type, '(unknown)') AS type, coalesce(s.channel, '(unknown)') AS channel, s.satisfaction,
           CASE WHEN CAST(s.first_response_at AS DATE) <= $as_of
                THEN date_diff('minute', s.opened_at, s.first_response_at) / 60.0 END AS first_hours,
           CASE WHEN CAST(s.resolved_at AS DATE) <= $as_of
                THEN date_diff('minute', s.opened_at, s.resolved_at) / 60.0 END      AS resolution_hours,
           CAST(s.cost AS DOUBLE) AS cost,
           row_number() OVER () AS case_no
    FROM service_interactions AS s JOIN fc USING (customer_id)
    WHERE CAST(s.opened_at AS DATE) > $since AND CAST(s.opened_at AS DATE) <= $as_of
),
w AS (
    SELECT case_no, customer_key, day AS eve, least(day + CAST($horizon_days AS INTEGER), $as_of) AS after_day,
           day - CAST($horizon_days AS INTEGER) AS before_eve
    FROM c
),
eve AS (
    SELECT w.case_no, d.purchase_days, d.revenue FROM w
    JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.eve AND d.next_day > w.eve
),
aft AS (
    SELECT w.case_no, d.purchase_days, d.revenue FROM w
    JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.after_day AND d.next_day > w.after_day
),
bef AS (
    SELECT w.case_no, d.revenue FROM w
    JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.before_eve AND d.next_day > w.before_eve
)
SELECT c.customer_key, c.code, c.opened_at, c.day, c.type, c.channel, c.satisfaction, c.first_hours, c.resolution_hours, c.cost,
       coalesce(aft.purchase_days, 0) - coalesce(eve.purchase_days, 0) AS purchase_days_after,
       coalesce(aft.revenue, 0) - coalesce(eve.revenue, 0)             AS revenue_after,
       coalesce(eve.revenue, 0) - coalesce(bef.revenue, 0)             AS revenue_before
FROM c
LEFT JOIN eve USING (case_no)
LEFT JOIN aft USING (case_no)
LEFT JOIN bef USING (case_no)
ORDER BY c.opened_at, c.customer_key
