-- Grain: one row per customer passing the filters, in customer_key order (row i is the
-- customer's code in the churn history: crm_core.exits numbers the same customers the same
-- way): their manager ('(none)' without one) and, from customer_days' running totals at the
-- ends of three days ($as_of, $start: the day before the period, $start_2: the day before the
-- period before), revenue and gross profit in the period, whether they bought in it, and
-- revenue in the period before. One pass over the rows whose span holds one of the days.
WITH fc AS (
    SELECT customer_key, customer_id, account_manager FROM ({filtered_customers})
),
d AS (
    SELECT customer_key,
           max(revenue)       FILTER (WHERE day <= $as_of AND next_day > $as_of)     AS rev_now,
           max(gross_profit)  FILTER (WHERE day <= $as_of AND next_day > $as_of)     AS gp_now,
           max(purchase_days) FILTER (WHERE day <= $as_of AND next_day > $as_of)     AS days_now,
           max(revenue)       FILTER (WHERE day <= $start AND next_day > $start)     AS rev_start,
           max(gross_profit)  FILTER (WHERE day <= $start AND next_day > $start)     AS gp_start,
           max(purchase_days) FILTER (WHERE day <= $start AND next_day > $start)     AS days_start,
           max(revenue)       FILTER (WHERE day <= $start_2 AND next_day > $start_2) AS rev_before
    FROM customer_days
    WHERE ((day <= $as_of AND next_day > $as_of) OR (day <= $start AND next_day > $start)
           OR (day <= $start_2 AND next_day > $start_2)) {key_filter}
    GROUP BY customer_key
)
SELECT fc.customer_key, fc.customer_id, coalesce(fc.account_manager, '(none)') AS manager_id,
       coalesce(d.rev_now, 0) - coalesce(d.rev_start, 0)                  AS period_revenue,
       coalesce(d.gp_now, 0) - coalesce(d.gp_start, 0)                    AS period_gross_profit,
       coalesce(d.days_now, 0) > coalesce(d.days_start, 0)                AS active,
       coalesce(d.rev_start, 0) - coalesce(d.rev_before, 0)               AS previous_revenue
FROM fc LEFT JOIN d USING (customer_key)
ORDER BY fc.customer_key
