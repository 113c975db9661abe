AND customer_key % 20 = 0
