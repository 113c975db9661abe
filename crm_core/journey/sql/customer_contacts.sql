-- Grain: one row per contact of customer $customer_id (passing the filters) up to $as_of,
-- newest first: service cases and complaints (kind 'service': type, channel, hours to
-- resolution, satisfaction) and campaign contacts (kind 'campaign': campaign, channel,
-- whether in the control group, whether and when they responded).
WITH fc AS (
    SELECT customer_id FROM ({filtered_customers}) WHERE customer_id = $customer_id
)
SELECT 'service' AS kind, CAST(s.opened_at AS DATE) AS date, s.type AS subject, s.channel,
       datediff('minute', s.opened_at, s.resolved_at) / 60.0 AS hours_to_resolve, s.satisfaction,
       NULL::BOOLEAN AS control, NULL::BOOLEAN AS responded, NULL::DATE AS response_date
FROM service_interactions AS s JOIN fc USING (customer_id)
WHERE CAST(s.opened_at AS DATE) <= $as_of
UNION ALL
SELECT 'campaign', cc.contacted_at, coalesce(c.name, cc.campaign_id), c.channel, NULL, NULL,
       cc.is_control, cc.responded, cc.response_date
FROM campaign_contacts AS cc JOIN fc USING (customer_id) LEFT JOIN campaigns AS c USING (campaign_id)
WHERE cc.contacted_at IS NULL OR cc.contacted_at <= $as_of
ORDER BY date DESC NULLS LAST
