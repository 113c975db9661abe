-- Grain: one row per customer (passing the filters: a viewer bound to an account manager finds
-- only their accounts) matching $q, best first, at most $limit: the id exactly, then ids
-- starting with it, then names, e-mails and phone numbers containing it (with $contacts:
-- only for users who may see contact fields; a phone matches on its digits, $digits, when
-- at least three were typed, or without the national trunk 0, $national: 010-1234 finds +82 10-1234-5678). contains/starts_with take the text as a value: no pattern
-- characters to escape.
WITH fc AS (
    SELECT customer_id, name, email, phone, region, channel, customer_type, first_purchase
    FROM ({filtered_customers})
)
SELECT customer_id, name, email, phone, region, channel, customer_type, first_purchase
FROM (
    SELECT *,
           CASE WHEN lower(customer_id) = lower($q) THEN 0
                WHEN starts_with(lower(customer_id), lower($q)) THEN 1
                ELSE 2 END AS rank
    FROM fc
    WHERE starts_with(lower(customer_id), lower($q))
       OR ($contacts AND (contains(lower(coalesce(name, '')), lower($q))
                          OR contains(lower(coalesce(email, '')), lower($q))
                          OR (length($digits) >= 3
                              AND (contains(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), $digits)
                                   OR contains(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), $national)))))
)
ORDER BY rank, customer_id
LIMIT $limit
