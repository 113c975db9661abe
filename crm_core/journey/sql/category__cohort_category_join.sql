
LEFT JOIN first_category AS fcat ON fcat.customer_key = fc.customer_key