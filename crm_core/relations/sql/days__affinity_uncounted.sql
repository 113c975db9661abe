-- (Option "days" of affinity_categories.) Only the lines that category_days does not count.
AND t.product_category IS NULL
