-- Grain: one row per customer rank (downsampled to about $points rows, always keeping
-- the first and last rank), customers active in the $period_days days up to $as_of,
-- ranked by $metric ('revenue' or 'gross_profit', a bound value) descending.
WITH fc AS (
    {filtered_customers}
),
per_cust AS (
    SELECT customer_id,
           CASE WHEN $metric = 'gross_profit' THEN sum(gross_profit) ELSE sum(net_amount) END AS v
    FROM stg_transactions
    WHERE purchase_date > CAST($as_of AS DATE) - CAST($period_days AS INTEGER) AND purchase_date <= $as_of
      {customer_filter}
    GROUP BY customer_id
    HAVING count(*) FILTER (WHERE first_of_day) > 0
),
ranked AS (
    SELECT row_number() OVER (ORDER BY v DESC, customer_id) AS rank, v,
           sum(v) OVER (ORDER BY v DESC, customer_id ROWS UNBOUNDED PRECEDING) AS cum,
           count(*) OVER () AS n, sum(v) OVER () AS total
    FROM per_cust
)
SELECT rank, n, v, cum, total,
       CAST(rank AS DOUBLE) / n AS customer_share,
       cum / nullif(total, 0) AS value_share
FROM ranked
WHERE rank = 1 OR rank = n OR rank % greatest(1, n // CAST($points AS BIGINT)) = 0
   OR rank = CAST(ceil(0.2 * n) AS BIGINT)
   OR rank = (SELECT min(r2.rank) FROM ranked r2 WHERE r2.cum >= 0.8 * r2.total)
ORDER BY rank
