-- Grain: one row per account manager on file, and one for accounts without a manager (or
-- with an id not on file: shown under that id, no name).
SELECT manager_id, name, region, CAST(annual_cost AS DOUBLE) AS annual_cost FROM account_managers
UNION ALL
SELECT DISTINCT c.account_manager, NULL, NULL, NULL
FROM customers AS c
WHERE c.account_manager IS NOT NULL AND c.account_manager NOT IN (SELECT manager_id FROM account_managers)
ORDER BY manager_id
