-- Grain: one row per campaign and contacted (or held-out) customer passing the filters, with
-- a contact day on or before $as_of (the contact's date, else the campaign's start). What the
-- customer did in the $window_days days from the contact day on (the response window,
-- cut at $as_of) and in the $window_days days before it (the same span, for the balance
-- check), from customer_days' running totals: two lookups per window, never the raw lines.
-- A customer listed twice in one campaign counts once (the first day; control only if every
-- row says so; responded if any row says so).
WITH fc AS (
    SELECT customer_key, customer_id FROM ({filtered_customers})
),
cc AS (
    SELECT c.campaign_id, fc.customer_key, any_value(fc.customer_id) AS customer_id,
           min(coalesce(c.contacted_at, k.start_date))  AS day,
           bool_and(c.is_control)                       AS is_control,
           bool_or(c.responded)                         AS responded
    FROM campaign_contacts AS c
    JOIN campaigns AS k USING (campaign_id)
    JOIN fc USING (customer_id)
    WHERE coalesce(c.contacted_at, k.start_date) <= $as_of
    GROUP BY c.campaign_id, fc.customer_key
),
w AS (
    SELECT campaign_id, customer_key, customer_id, day, is_control, responded,
           CAST(day AS DATE) - 1                                                   AS eve,
           least(CAST(day AS DATE) + CAST($window_days AS INTEGER) - 1, $as_of)    AS last_day,
           CAST(day AS DATE) - CAST($window_days AS INTEGER) - 1                   AS pre_eve,
           CAST(day AS DATE) + CAST($window_days AS INTEGER) - 1 <= $as_of         AS complete
    FROM cc
),
eve AS (
    SELECT w.campaign_id, w.customer_key, d.revenue, d.gross_profit, d.purchase_days
    FROM w JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.eve AND d.next_day > w.eve
),
fin AS (
    SELECT w.campaign_id, w.customer_key, d.revenue, d.gross_profit, d.purchase_days
    FROM w JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.last_day AND d.next_day > w.last_day
),
pre AS (
    SELECT w.campaign_id, w.customer_key, d.revenue
    FROM w JOIN customer_days AS d ON d.customer_key = w.customer_key AND d.day <= w.pre_eve AND d.next_day > w.pre_eve
)
SELECT w.campaign_id, w.customer_key, w.customer_id, w.day, w.is_control, w.responded, w.complete,
       coalesce(fin.revenue, 0) - coalesce(eve.revenue, 0)                     AS revenue_after,
       coalesce(fin.gross_profit, 0) - coalesce(eve.gross_profit, 0)           AS profit_after,
       coalesce(fin.purchase_days, 0) - coalesce(eve.purchase_days, 0)         AS purchase_days_after,
       coalesce(eve.revenue, 0) - coalesce(pre.revenue, 0)                     AS revenue_before
FROM w
LEFT JOIN eve USING (campaign_id, customer_key)
LEFT JOIN fin USING (campaign_id, customer_key)
LEFT JOIN pre USING (campaign_id, customer_key)
ORDER BY w.campaign_id, w.customer_key
