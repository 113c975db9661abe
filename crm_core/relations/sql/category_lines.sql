-- (A fragment, included as `FROM category_lines AS t` in braces.) Grain: one row per transaction line with a
-- category, its own (product_category) else its product's, as `category`; lines with
-- neither are left out. Two branches rather than one LEFT JOIN of every line to products:
-- only lines without a category of their own look their product up (on the benchmark's 10M
-- lines, all with one, the customers' category masks took 0.50 s with the join on every
-- line and 0.47 s without, and 0.68 s against 0.49 s on a lake's Parquet files). The
-- caller's filters on the line's columns reach both branches.
(SELECT t.*, t.product_category AS category
 FROM transactions AS t
 WHERE t.product_category IS NOT NULL
 UNION ALL
 SELECT t.*, p.category
 FROM transactions AS t JOIN products AS p USING (product_id)
 WHERE t.product_category IS NULL AND p.category IS NOT NULL)
