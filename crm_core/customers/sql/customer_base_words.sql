-- Grain: one row. For each text attribute of the customers known as of $as_of who pass the
-- filters, its distinct values in sorted (binary, i.e. code point) order, NULL left out:
-- the categories of customer_base's categorical columns, numbered 0.. by
-- customer_base_profile (crm_core/customers/base.py).
WITH fc AS (
    {filtered_customers}
)
SELECT list(DISTINCT region ORDER BY region) FILTER (WHERE region IS NOT NULL)                         AS region,
       list(DISTINCT channel ORDER BY channel) FILTER (WHERE channel IS NOT NULL)                      AS channel,
       list(DISTINCT customer_type ORDER BY customer_type) FILTER (WHERE customer_type IS NOT NULL)    AS customer_type,
       list(DISTINCT industry ORDER BY industry) FILTER (WHERE industry IS NOT NULL)                   AS industry,
       list(DISTINCT account_manager ORDER BY account_manager) FILTER (WHERE account_manager IS NOT NULL) AS account_manager
FROM fc
WHERE known_since <= $as_of
