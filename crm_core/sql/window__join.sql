LEFT JOIN tx1 USING (customer_id)
