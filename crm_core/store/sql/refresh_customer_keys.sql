-- Give every customer without one a customer_key: the next integers after the largest
-- key so far, in customer_id order. Keys never change once given.
UPDATE customers AS c
SET customer_key = k.customer_key
FROM (SELECT customer_id,
             CAST((SELECT coalesce(max(customer_key), -1) FROM customers) + row_number() OVER (ORDER BY customer_id)
                  AS INTEGER) AS customer_key
      FROM customers WHERE customer_key IS NULL) AS k
WHERE c.customer_id = k.customer_id
