-- Grain: one row per customer known as of $as_of who passes the filters (the rows of
-- customer_base_order, in storage order): the attributes and the dates that do not depend
-- on purchases up to $as_of (first_purchase counts only when on or before $as_of).
WITH fc AS (
    {filtered_customers}
)
SELECT customer_key, region, channel, customer_type, industry, signup_date, account_manager,
       CASE WHEN first_purchase <= $as_of THEN first_purchase END                       AS first_purchase,
       CAST($as_of AS DATE) - CASE WHEN first_purchase <= $as_of THEN first_purchase END AS tenure_days
FROM fc
WHERE known_since <= $as_of
