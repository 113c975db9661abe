LEFT JOIN tx1 ON tx1.customer_key = fc.customer_key
