-- The $quantile of the gaps between a customer's consecutive transaction days after a
-- purchase (days), over transactions up to $as_of: the data's own "long silence". With
-- option "sample" (large tables) a fixed, seeded 5% Bernoulli sample of rows is used.
SELECT quantile_cont(next_day - day, CAST($quantile AS DOUBLE)) AS gap, count(*) AS gaps
FROM (SELECT day, next_day, last_purchase FROM customer_days {sample__clause})
WHERE last_purchase = day AND next_day <= $as_of
