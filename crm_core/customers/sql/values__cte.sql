,
pareto_values AS (   -- the Pareto curves' values: each buyer's value in the period, in cents (ties stay ties)
    SELECT 0 AS p, list(round(rev0, 2)) FILTER (WHERE d0 > 0) AS revenue_values,
           list(round(gp0, 2)) FILTER (WHERE d0 > 0) AS gross_profit_values
    FROM per_cust
)
