LEFT JOIN pareto_values v USING (p)
