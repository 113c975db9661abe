-- Grain: one row per funnel step reached by a purchase (first_buyer, repeat_buyer, loyal):
-- the contacts who reached it by $as_of (`movers`), and how many of them had a campaign contact
-- (not in a control group) or a service case in the $days_before days before the day they
-- reached it. Descriptive: who was in touch before moving, not that the contact moved them
-- (a campaign's effect needs its control group).
WITH contacts AS (
    {funnel_customers}
),
moves AS (
    SELECT customer_key, 'first_buyer' AS step, first_purchase AS moved FROM contacts WHERE first_purchase IS NOT NULL
    UNION ALL
    SELECT customer_key, 'repeat_buyer', second_purchase FROM contacts WHERE second_purchase IS NOT NULL
    UNION ALL
    SELECT customer_key, 'loyal', loyal_from FROM contacts WHERE loyal_from IS NOT NULL
),
m AS (
    SELECT moves.*, c.customer_id FROM moves JOIN customers AS c USING (customer_key)
),
campaign AS (
    SELECT DISTINCT m.customer_key, m.step
    FROM m JOIN campaign_contacts AS cc ON cc.customer_id = m.customer_id
    WHERE NOT cc.is_control AND cc.contacted_at < m.moved
      AND cc.contacted_at >= m.moved - CAST($days_before AS INTEGER)
),
service AS (
    SELECT DISTINCT m.customer_key, m.step
    FROM m JOIN service_interactions AS s ON s.customer_id = m.customer_id
    WHERE CAST(s.opened_at AS DATE) < m.moved AND CAST(s.opened_at AS DATE) >= m.moved - CAST($days_before AS INTEGER)
)
SELECT step, count(*) AS movers,
       (SELECT count(*) FROM campaign WHERE campaign.step = moves.step) AS campaign_touched,
       (SELECT count(*) FROM service WHERE service.step = moves.step) AS service_touched
FROM moves
GROUP BY step
