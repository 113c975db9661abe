-- Grain: one row per cohort and period k < $periods: `eligible` members (whose period k has
-- ended by $through), the `buyers` among them (a purchase day in period k) and their net
-- `revenue` in it. Periods are months (quarters with $by = 'quarter') counted from each
-- customer's first purchase; activity from customer_months. See crm_core/journey/cohorts.py.
WITH members AS (
    {cohort_members}
),
activity AS (   -- one row per member and month with a transaction
    SELECT m.customer_key, m.cohort,
           CAST(datediff(CASE WHEN $by = 'quarter' THEN 'quarter' ELSE 'month' END, m.first_purchase, cm.month)
                AS INTEGER) AS k,
           cm.purchase_days > 0 AS bought,
           cm.revenue
    FROM customer_months AS cm JOIN members AS m ON m.customer_key = cm.customer_key
    WHERE cm.month <= $through
),
per_period AS (   -- quarters: one row per member and quarter (only read with the option "quarter")
    SELECT customer_key, cohort, k, bool_or(bought) AS bought, sum(revenue) AS revenue
    FROM activity GROUP BY customer_key, cohort, k
),
cells AS (
    SELECT cohort, k, count(*) FILTER (WHERE bought) AS buyers, sum(revenue) AS revenue
    FROM {month__cohort_months}{quarter__cohort_quarters}
    WHERE k < $periods
    GROUP BY ALL
),
ages AS (
    SELECT cohort, least(age, $periods - 1) AS age, count(*) AS members FROM members GROUP BY ALL
)
SELECT 'cell' AS part, cohort, k, buyers, revenue FROM cells
UNION ALL
SELECT 'age', cohort, age, members, NULL FROM ages
