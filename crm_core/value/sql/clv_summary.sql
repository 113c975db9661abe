-- Grain: one row per customer (passing the filters) whose first purchase is on or before
-- $calibration_end. The BG/NBD / Gamma-Gamma inputs in days (see crm_core/value/clv.py):
--   purchase_days = distinct days with a purchase up to $calibration_end (same-day purchases
--   combined); x = purchase_days - 1 repeat purchases; t_x_days = last - first purchase;
--   T_days = $calibration_end - first purchase;
--   repeat_revenue = net revenue after the first purchase day (returns netted): the revenue
--   up to $calibration_end less customers.first_revenue, the running revenue on the first
--   purchase day; the average repeat value is repeat_revenue / x;
--   holdout_days = purchase days in ($calibration_end, $holdout_end] (NULL without a holdout).
WITH fc AS (
    {filtered_customers}
),
cal AS (
    SELECT customer_key, purchase_days, last_purchase, revenue, gross_profit
    FROM customer_days
    WHERE next_day > $calibration_end AND day <= $calibration_end {key_filter}
),
hold AS (
    SELECT customer_key, purchase_days AS holdout_state
    FROM customer_days
    WHERE next_day > $holdout_end AND day <= $holdout_end {key_filter}
)
SELECT fc.customer_id,
       fc.first_purchase,
       cal.purchase_days - 1                                   AS x,
       cal.last_purchase - fc.first_purchase                   AS t_x_days,
       CAST($calibration_end AS DATE) - fc.first_purchase      AS T_days,
       cal.revenue - coalesce(fc.first_revenue, 0)             AS repeat_revenue,   -- (kept at load time)
       cal.revenue                                             AS revenue,
       cal.gross_profit                                        AS gross_profit,
       hold.holdout_state - cal.purchase_days                  AS holdout_days
FROM fc
JOIN cal USING (customer_key)          -- every join by the integer key
LEFT JOIN hold USING (customer_key)
WHERE fc.first_purchase <= $calibration_end AND cal.purchase_days > 0
ORDER BY fc.customer_id
