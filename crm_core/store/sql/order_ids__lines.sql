AND order_id IS NULL
