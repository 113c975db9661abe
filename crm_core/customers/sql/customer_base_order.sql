-- Grain: one row per customer known as of $as_of (signed up or bought by then) who passes
-- the filters, in customer_id order: the rows of customer_base, in its order. Only the id
-- and the integer key travel through the sort; crm_core/customers/base.py places the
-- other parts (customer_base_profile, customer_base_state) on these rows by customer_key.
-- The result equals customer_base.sql, one plain query (tests/test_customers.py).
WITH fc AS (
    {filtered_customers}
)
SELECT customer_id, customer_key
FROM fc
WHERE known_since <= $as_of
ORDER BY customer_id
