-- Grain: one row per service case opened in ($start, $as_of] of a customer passing the
-- filters: the customer, whether it is a complaint, hours to resolution (NULL: open at $as_of).
WITH fc AS (
    SELECT customer_key, customer_id FROM ({filtered_customers})
)
SELECT fc.customer_key, s.type = 'complaint' AS complaint,
       CASE WHEN CAST(s.resolved_at AS DATE) <= $as_of
            THEN date_diff('minute', s.opened_at, s.resolved_at) / 60.0 END AS resolution_hours
FROM service_interactions AS s JOIN fc USING (customer_id)
WHERE CAST(s.opened_at AS DATE) > $start AND CAST(s.opened_at AS DATE) <= $as_of
