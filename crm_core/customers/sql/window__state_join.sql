LEFT JOIN tx1 ON tx1.customer_key = tx.customer_key
