-- Grain: one row per contact (a customer record passing the filters, known by $as_of or with
-- no date at all: an imported contact who never signed up nor bought), in customer_key order:
-- the dates each reached the funnel's steps by $as_of. first_purchase: the first day with a
-- purchase; second_purchase: the second such day; loyal_from: the day of the
-- $loyal_purchases-th (customer_days.purchase_days counts purchase days, so the first row
-- reaching a count is the day it was reached). $known_after (NULL: everyone): only contacts
-- who became known after that date, the funnel of a period's new contacts.
WITH fc AS (
    SELECT customer_key, signup_date, first_purchase, channel, region
    FROM ({filtered_customers})
    WHERE (known_since IS NULL OR known_since <= $as_of)
      AND (CAST($known_after AS DATE) IS NULL OR known_since > CAST($known_after AS DATE))
),
reached AS (
    SELECT customer_key,
           min(day) FILTER (WHERE purchase_days >= 2)                AS second_purchase,
           min(day) FILTER (WHERE purchase_days >= $loyal_purchases) AS loyal_from
    FROM customer_days
    WHERE day <= $as_of AND purchase_days >= 2 {key_filter}
    GROUP BY customer_key
)
SELECT fc.customer_key, fc.channel, fc.region,
       CASE WHEN fc.signup_date <= $as_of THEN fc.signup_date END       AS signup_date,
       CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS first_purchase,
       r.second_purchase, r.loyal_from
FROM fc LEFT JOIN reached AS r USING (customer_key)
ORDER BY fc.customer_key
