-- Grain: one row per customer behind a cohort-table cell, in customer_key order: the members
-- of cohort $cohort (period $k < 0: all of them) or those with a purchase day in its period $k.
WITH members AS (
    {cohort_members}
)
SELECT m.customer_key
FROM members AS m
JOIN ({filtered_customers}) AS c ON c.customer_key = m.customer_key
WHERE m.cohort IS NOT DISTINCT FROM $cohort
  AND ($k < 0 OR EXISTS (
        SELECT 1 FROM customer_months AS cm
        WHERE cm.customer_key = m.customer_key AND cm.purchase_days > 0 AND cm.month <= $through
          AND datediff(CASE WHEN $by = 'quarter' THEN 'quarter' ELSE 'month' END, c.first_purchase, cm.month) = $k))
ORDER BY m.customer_key
