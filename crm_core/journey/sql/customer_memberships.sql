-- Grain: one row per loyalty membership (a program and tier from enrolment until leaving) of
-- customer $customer_id (passing the filters) enrolled by $as_of, in enrolment order: a change
-- of tier is a new row, so consecutive rows of one program are its tier moves.
SELECT m.program_id, p.name AS program, p.kind, m.tier, m.enrolled_at,
       CASE WHEN m.left_at <= $as_of THEN m.left_at END AS left_at, CAST(m.fee_paid AS DOUBLE) AS fee_paid
FROM loyalty_members AS m LEFT JOIN loyalty_programs AS p USING (program_id)
WHERE m.customer_id = $customer_id AND m.enrolled_at <= $as_of
  AND m.customer_id IN (SELECT customer_id FROM ({filtered_customers}))
ORDER BY m.enrolled_at, m.program_id
