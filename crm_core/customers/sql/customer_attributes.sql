-- Grain: one row per customer known as of $as_of who passes the filters, ordered by
-- customer_id exactly like customer_base (so the two align row by row).
--   category_mask   : bit i set = bought a product of category i (see customer_categories)
--                     in the $period_days days up to $as_of; categories past the 63rd share bit 62
--   loyalty_program : the program of the highest kind (vip > club > points) the customer
--                     belongs to on $as_of (enrolled, not yet left); NULL = none
WITH fc AS (
    {filtered_customers}
),
pairs AS (
    SELECT DISTINCT t.customer_id, coalesce(t.product_category, p.category, '(unknown)') AS category
    FROM stg_transactions t LEFT JOIN products p USING (product_id)
    WHERE NOT t.is_return
      AND t.purchase_date > CAST($period_start AS DATE) AND t.purchase_date <= $as_of
      {customer_filter}
),
cats AS (   -- numbered over all customers, so a bit means the same whatever the filters
    {customer_categories}
),
masks AS (
    SELECT customer_id, bit_or(CAST(1 AS BIGINT) << idx) AS category_mask
    FROM pairs JOIN cats USING (category)
    GROUP BY customer_id
),
loyalty AS (
    SELECT m.customer_id,
           arg_max(m.program_id, CASE p.kind WHEN 'vip' THEN 3 WHEN 'club' THEN 2 ELSE 1 END) AS loyalty_program
    FROM loyalty_members m JOIN loyalty_programs p USING (program_id)
    WHERE m.enrolled_at <= $as_of AND (m.left_at IS NULL OR m.left_at > $as_of)
    GROUP BY m.customer_id
)
SELECT fc.customer_id, coalesce(masks.category_mask, 0) AS category_mask, loyalty.loyalty_program
FROM fc LEFT JOIN masks USING (customer_id) LEFT JOIN loyalty USING (customer_id)
WHERE fc.known_since <= $as_of
ORDER BY fc.customer_id
