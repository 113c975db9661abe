-- Grain: one row per customer passing the filters, in customer_key order: crm_core.churn
-- numbers them 0.. in this order (their "code"; the churn queries return customer_key and
-- are mapped to codes by a binary search), with their first purchase (NULL: never bought)
-- and the attributes churn is broken down by; known_since (the lifecycle counts known customers).
SELECT customer_key, customer_id, first_purchase, known_since, region, channel, customer_type
FROM ({filtered_customers})
ORDER BY customer_key
