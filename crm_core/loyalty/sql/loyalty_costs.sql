-- Grain: one row per program per calendar month per cost type, bookings on or before
-- $as_of. Program costs are not per customer: with customer filters set, the caller
-- shares them pro rata to the members who pass the filters.
SELECT program_id, CAST(date_trunc('month', cost_date) AS DATE) AS month, cost_type,
       CAST(sum(amount) AS DOUBLE) AS amount
FROM loyalty_costs
WHERE cost_date <= $as_of
GROUP BY ALL
ORDER BY program_id, month, cost_type
