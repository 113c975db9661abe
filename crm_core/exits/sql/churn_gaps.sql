-- The $quantile of the gaps between a customer's consecutive transaction days after a
-- purchase (days), over transactions up to $as_of: the data's own "long silence". With
-- option "sample" (large tables) the gaps of every 20th customer (by customer_key) are
-- used: a fixed, deterministic 5% sample of customers (a filter on an integer column,
-- about 3x cheaper than a seeded Bernoulli sample of rows on 9M rows).
SELECT quantile_cont(next_day - day, CAST($quantile AS DOUBLE)) AS gap, count(*) AS gaps
FROM customer_days
WHERE last_purchase = day AND next_day <= $as_of {sample__clause}
