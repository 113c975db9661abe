-- Grain: one row per customer passing the filters, by customer_key, with integer levels of
-- the categoricals the propensity model uses: 1 = the most frequent value, 2 = the next,
-- ... up to $levels; 0 = any rarer value.
WITH fc AS (
    SELECT customer_key, region, channel, customer_type FROM ({filtered_customers})
),
r AS (SELECT region, row_number() OVER (ORDER BY count(*) DESC, region) AS level FROM fc GROUP BY region),
c AS (SELECT channel, row_number() OVER (ORDER BY count(*) DESC, channel) AS level FROM fc GROUP BY channel),
t AS (SELECT customer_type, row_number() OVER (ORDER BY count(*) DESC, customer_type) AS level
      FROM fc GROUP BY customer_type)
SELECT fc.customer_key AS code,
       CAST(CASE WHEN t.level <= $levels THEN t.level ELSE 0 END AS INTEGER) AS customer_type,
       CAST(CASE WHEN r.level <= $levels THEN r.level ELSE 0 END AS INTEGER) AS region,
       CAST(CASE WHEN c.level <= $levels THEN c.level ELSE 0 END AS INTEGER) AS channel
FROM fc
JOIN r USING (region)
JOIN c USING (channel)
JOIN t USING (customer_type)
