-- Recompute customers.first_purchase from all purchases.
UPDATE customers AS c
SET first_purchase = f.first_purchase
FROM (SELECT customer_id, min(tx_date) AS first_purchase FROM transactions WHERE amount >= 0 GROUP BY customer_id) AS f
WHERE c.customer_id = f.customer_id AND c.first_purchase IS DISTINCT FROM f.first_purchase
