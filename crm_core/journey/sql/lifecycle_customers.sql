-- Grain: one row per customer passing the filters, in customer_key order (the lifecycle's
-- customer codes 0.., as crm_core.exits numbers them): first purchase (NULL: never bought)
-- and known since (the earlier of sign-up and first purchase; NULL: not known at any date).
SELECT customer_key, first_purchase, known_since
FROM ({filtered_customers})
ORDER BY customer_key
