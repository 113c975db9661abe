-- Grain: one row per customer known as of $as_of who passes the filters (the rows of
-- customer_base_order, in no particular order): the attributes and the dates that do not
-- depend on purchases up to $as_of (first_purchase counts only when on or before $as_of).
-- Each text attribute comes as its number in the sorted list of its values bound as
-- $w_<attribute> (customer_base_words; NULL: no value): a join with a handful of rows,
-- where Arrow would carry 5M strings per attribute and pandas encode them again.
WITH fc AS (
    {filtered_customers}
),
w_region AS (SELECT unnest(CAST($w_region AS VARCHAR[])) AS region,
                    CAST(generate_subscripts(CAST($w_region AS VARCHAR[]), 1) - 1 AS INTEGER) AS region_code),
w_channel AS (SELECT unnest(CAST($w_channel AS VARCHAR[])) AS channel,
                     CAST(generate_subscripts(CAST($w_channel AS VARCHAR[]), 1) - 1 AS INTEGER) AS channel_code),
w_customer_type AS (SELECT unnest(CAST($w_customer_type AS VARCHAR[])) AS customer_type,
                           CAST(generate_subscripts(CAST($w_customer_type AS VARCHAR[]), 1) - 1 AS INTEGER) AS customer_type_code),
w_industry AS (SELECT unnest(CAST($w_industry AS VARCHAR[])) AS industry,
                      CAST(generate_subscripts(CAST($w_industry AS VARCHAR[]), 1) - 1 AS INTEGER) AS industry_code),
w_account_manager AS (SELECT unnest(CAST($w_account_manager AS VARCHAR[])) AS account_manager,
                             CAST(generate_subscripts(CAST($w_account_manager AS VARCHAR[]), 1) - 1 AS INTEGER) AS account_manager_code)
SELECT fc.customer_key, region_code, channel_code, customer_type_code, industry_code, fc.signup_date, account_manager_code,
       CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END                       AS first_purchase,
       CAST($as_of AS DATE) - CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS tenure_days
FROM fc
LEFT JOIN w_region USING (region)
LEFT JOIN w_channel USING (channel)
LEFT JOIN w_customer_type USING (customer_type)
LEFT JOIN w_industry USING (industry)
LEFT JOIN w_account_manager USING (account_manager)
WHERE fc.known_since <= $as_of
