-- Grain: one row per customer that passes the global filters (bound parameters).
SELECT *
FROM stg_customers
WHERE (len(CAST($regions AS VARCHAR[])) = 0 OR list_contains(CAST($regions AS VARCHAR[]), region))
  AND (len(CAST($channels AS VARCHAR[])) = 0 OR list_contains(CAST($channels AS VARCHAR[]), channel))
  AND (len(CAST($customer_types AS VARCHAR[])) = 0 OR list_contains(CAST($customer_types AS VARCHAR[]), customer_type))
  AND (len(CAST($account_managers AS VARCHAR[])) = 0 OR list_contains(CAST($account_managers AS VARCHAR[]), account_manager))
  AND (len(CAST($customers AS VARCHAR[])) = 0 OR list_contains(CAST($customers AS VARCHAR[]), customer_id))
