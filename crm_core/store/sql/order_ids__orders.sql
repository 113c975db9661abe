+ count(DISTINCT order_id) FILTER (WHERE NOT is_return)
