-- Grain: one row per customer (passing the filters) whose first purchase is on or before
-- $through: their cohort and their age, the last period k (0, 1, ... counted from the
-- period of their first purchase) that has ended by $through. The cohort is the first purchase's
-- month ('YYYY-MM') or quarter ('YYYY-Qn'), or an attribute: acquisition channel, region,
-- or (option "category") the category with most revenue on the first purchase day.
-- $by is a bound value compared in CASE, never an identifier.
WITH fc AS (
    SELECT customer_key, customer_id, first_purchase, channel, region FROM ({filtered_customers})
    WHERE first_purchase <= $through
){category__cohort_first_category}
SELECT fc.customer_key, fc.first_purchase,
       coalesce(CASE $by
            WHEN 'month'   THEN strftime(fc.first_purchase, '%Y-%m')
            WHEN 'quarter' THEN CAST(year(fc.first_purchase) AS VARCHAR) || '-Q' || CAST(quarter(fc.first_purchase) AS VARCHAR)
            WHEN 'channel' THEN fc.channel
            WHEN 'region'  THEN fc.region
            ELSE coalesce({category__cohort_category_column}NULL)
       END, '(unknown)') AS cohort,
       CAST(datediff(CASE WHEN $by = 'quarter' THEN 'quarter' ELSE 'month' END, fc.first_purchase, $through)
            AS INTEGER) AS age
FROM fc{category__cohort_category_join}
