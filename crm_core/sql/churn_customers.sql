-- Grain: one row per customer passing the filters, numbered 0.. by customer_id (the
-- churn queries number them the same way and return only codes), with their first
-- purchase (NULL: never bought) and the attributes churn is broken down by.
SELECT row_number() OVER (ORDER BY customer_id) - 1 AS code, customer_id, first_purchase,
       region, channel, customer_type
FROM ({filtered_customers})
ORDER BY code
