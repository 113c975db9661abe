-- Grain: one row per campaign that started on or before $as_of (or has no start date), with
-- how many customers it contacted (not held out) in all: filters share the cost pro rata.
SELECT k.campaign_id, k.name, k.kind, k.channel, k.start_date, k.end_date, CAST(k.cost AS DOUBLE) AS cost,
       (SELECT count(DISTINCT c.customer_id) FROM campaign_contacts AS c
        WHERE c.campaign_id = k.campaign_id AND NOT c.is_control) AS contacted_all
FROM campaigns AS k
WHERE k.start_date IS NULL OR k.start_date <= $as_of
ORDER BY k.start_date NULLS LAST, k.campaign_id
