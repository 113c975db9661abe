,
first_category AS (
    SELECT fc.customer_key,
           arg_max(coalesce(t.product_category, p.category, '(unknown)'), t.amount) AS category
    FROM fc
    JOIN transactions AS t ON t.customer_id = fc.customer_id AND t.tx_date = fc.first_purchase
    LEFT JOIN products AS p ON p.product_id = t.product_id
    WHERE t.amount >= 0
    GROUP BY fc.customer_key
)
