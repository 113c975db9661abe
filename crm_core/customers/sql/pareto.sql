-- Grain: one row per customer who bought in the $period_days days up to $as_of (after
-- the filters): their $metric ('revenue' or 'gross_profit', a bound value) in the period.
-- Ranking, cumulative shares and downsampling happen in numpy (crm_core.overview.pareto):
-- the cumulative value at rank k does not depend on how ties are ordered.
WITH fc AS (
    {filtered_customers}
),
s0 AS (
    SELECT customer_key, purchase_days AS pd, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($as_of AS DATE) AND day <= CAST($as_of AS DATE) {key_filter}
),
s1 AS (
    SELECT customer_key, purchase_days AS pd, revenue, gross_profit FROM customer_days
    WHERE next_day > CAST($period_start AS DATE)
      AND day <= CAST($period_start AS DATE) {key_filter}
),
per_cust AS (   -- value in the period = difference of running totals; buyers in the period only
    SELECT s0.customer_key,
           round(CASE WHEN $metric = 'gross_profit' THEN s0.gross_profit - coalesce(s1.gross_profit, 0)
                      ELSE s0.revenue - coalesce(s1.revenue, 0) END, 2) AS v   -- cents: ties stay ties
    FROM s0 LEFT JOIN s1 USING (customer_key)
    WHERE s0.pd > coalesce(s1.pd, 0)
)
SELECT v FROM per_cust
