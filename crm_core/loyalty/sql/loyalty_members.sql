-- Grain: one row per membership (customer x program) of a customer passing the filters,
-- enrolled on or before $as_of; customers by customer_key.
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers})
)
SELECT c.customer_key AS code, m.program_id, m.enrolled_at,
       CASE WHEN m.left_at <= $as_of THEN m.left_at END AS left_at,
       m.tier, CAST(m.fee_paid AS DOUBLE) AS fee_paid
FROM loyalty_members AS m
JOIN customers AS c USING (customer_id)
WHERE m.enrolled_at <= $as_of {customer_filter}
ORDER BY m.program_id, code
