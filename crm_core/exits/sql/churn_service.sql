-- Grain: one row per customer (passing the filters) with a complaint opened in
-- ($start, $as_of]: complaints, unresolved ones (as of $as_of), and the mean hours to resolve.
WITH fc AS (
    SELECT customer_key, customer_id FROM ({filtered_customers})
)
SELECT fc.customer_key AS key,
       count(*)                                                        AS complaints,
       count(*) FILTER (WHERE resolved_at IS NULL OR CAST(resolved_at AS DATE) > $as_of) AS unresolved,
       avg(date_diff('minute', opened_at, resolved_at) / 60.0)
           FILTER (WHERE resolved_at IS NOT NULL AND CAST(resolved_at AS DATE) <= $as_of) AS response_hours
FROM service_interactions JOIN fc USING (customer_id)
WHERE type = 'complaint' AND CAST(opened_at AS DATE) > $start AND CAST(opened_at AS DATE) <= $as_of
GROUP BY fc.customer_key
