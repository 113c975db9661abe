-- Grain: one row per product category bought in the $period_days days up to $as_of,
-- with the bit it has in customer_attributes.category_mask (idx, capped at 62).
SELECT category, least(CAST(row_number() OVER (ORDER BY category) - 1 AS INTEGER), 62) AS idx
FROM (
    SELECT DISTINCT coalesce(t.product_category, p.category, '(unknown)') AS category
    FROM stg_transactions t LEFT JOIN products p USING (product_id)
    WHERE NOT t.is_return
      AND t.purchase_date > CAST($period_start AS DATE) AND t.purchase_date <= $as_of
)
ORDER BY category
