-- (Option "days" of affinity_categories.) The lines with a category of their own, as counted at load.
SELECT category, sum(lines) AS lines FROM category_days WHERE day <= $as_of GROUP BY 1
UNION ALL
