-- Grain: one row per customer (passing the filters) who bought by $as_of (a purchase day,
-- not only returns): the signals
-- behind a customer at risk of leaving.
--   recent_purchases = purchase days in the last $recent_days; purchase_days = lifetime;
--   complaints = complaints opened in the last $recent_days; open_cases = service cases
--   still unresolved at $as_of (any type, any age).
WITH fc AS (
    {filtered_customers}
),
now AS (
    SELECT customer_key, purchase_days FROM customer_days
    WHERE next_day > $as_of AND day <= $as_of {key_filter}
),
before AS (
    SELECT customer_key, purchase_days FROM customer_days
    WHERE next_day > CAST($as_of AS DATE) - CAST($recent_days AS INTEGER)
      AND day <= CAST($as_of AS DATE) - CAST($recent_days AS INTEGER) {key_filter}
),
service AS (
    SELECT customer_id,
           count(*) FILTER (WHERE type = 'complaint'
                            AND CAST(opened_at AS DATE) > CAST($as_of AS DATE) - CAST($recent_days AS INTEGER)) AS complaints,
           count(*) FILTER (WHERE resolved_at IS NULL OR CAST(resolved_at AS DATE) > $as_of)  AS open_cases
    FROM service_interactions
    WHERE CAST(opened_at AS DATE) <= $as_of {customer_filter}
    GROUP BY customer_id
)
SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type,
       now.purchase_days,
       now.purchase_days - coalesce(before.purchase_days, 0) AS recent_purchases,
       coalesce(service.complaints, 0)                       AS complaints,
       coalesce(service.open_cases, 0)                       AS open_cases
FROM now
JOIN fc USING (customer_key)          -- customer_days by the integer key
LEFT JOIN before USING (customer_key)
LEFT JOIN service ON service.customer_id = fc.customer_id
WHERE now.purchase_days > 0      -- as the CLV summary (customers with returns only have no purchase day)
ORDER BY fc.customer_id      -- the order of the CLV summary: crm_core.risk lines them up without a join
