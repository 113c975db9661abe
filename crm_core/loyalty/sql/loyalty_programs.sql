-- Grain: one row per loyalty program, with its members enrolled on or before $as_of
-- (all customers, unfiltered: the denominator for sharing program costs under filters).
SELECT p.program_id, p.name, p.kind, CAST(p.annual_fee AS DOUBLE) AS annual_fee, p.start_date, p.end_date,
       (SELECT count(DISTINCT m.customer_id) FROM loyalty_members AS m
        WHERE m.program_id = p.program_id AND m.enrolled_at <= $as_of) AS all_members
FROM loyalty_programs AS p
ORDER BY p.program_id
