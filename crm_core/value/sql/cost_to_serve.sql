-- Grain: one row per customer passing the filters with any cost to serve in the window
-- ($start, $end]. Components (see crm_core/value/costs.py):
--   service_cost  = per contact, the recorded cost when $use_recorded and present, else the
--                   unit cost of its type from ($service_types, $service_unit_costs), else
--                   $default_service_cost;
--   order_cost    = purchase days in the window (customer_days.purchase_days: days with a
--                   line that is not a return; same-day lines are one order) x $order_cost;
--   return_cost   = return lines (negative amounts) x $return_cost;
--   discounts     = discounts granted on the customer's transactions;
--   loyalty_cost  = each program's costs of the types in $loyalty_cost_types (rewards; with
--                   operations, marketing and other when chosen) in the window, shared
--                   equally by its members enrolled during the window;
--   manager_cost  = each account manager's annual cost x window years, shared equally by
--                   the customers they manage.
WITH fc AS (
    {filtered_customers}
),
service AS (
    SELECT customer_id,
           count(*) AS service_contacts,
           count(*) FILTER (WHERE type = 'complaint') AS complaints,
           sum(CASE
                 WHEN $use_recorded AND cost IS NOT NULL THEN CAST(cost AS DOUBLE)
                 WHEN list_position(CAST($service_types AS VARCHAR[]), type) IS NOT NULL
                   THEN CAST($service_unit_costs AS DOUBLE[])[list_position(CAST($service_types AS VARCHAR[]), type)]
                 ELSE CAST($default_service_cost AS DOUBLE)
               END) AS service_cost
    FROM service_interactions
    WHERE CAST(opened_at AS DATE) > $start AND CAST(opened_at AS DATE) <= $end {customer_filter}
    GROUP BY customer_id
),
lines AS (   -- return lines and discounts: only the lines that have either are read
    SELECT customer_id,
           count(*) FILTER (WHERE amount < 0)         AS return_lines,
           coalesce(sum(CAST(discount AS DOUBLE)), 0) AS discounts
    FROM transactions
    WHERE tx_date > $start AND tx_date <= $end AND (amount < 0 OR coalesce(discount, 0) <> 0) {customer_filter}
    GROUP BY customer_id
),
purchases AS (   -- purchase days in the window: running totals at its end minus at its start
    SELECT c.customer_id, CAST(e.purchase_days - coalesce(s.purchase_days, 0) AS BIGINT) AS orders
    FROM customer_days AS e
    JOIN customers AS c USING (customer_key)   -- (customer_days is keyed by the integer key alone)
    LEFT JOIN (SELECT customer_key, purchase_days FROM customer_days
               WHERE next_day > CAST($start AS DATE) AND next_day <= $end AND day <= CAST($start AS DATE)) AS s
           USING (customer_key)
    WHERE e.next_day > $end AND e.day <= $end AND e.day > CAST($start AS DATE) {key_filter}
),
tx AS (
    SELECT customer_id,
           coalesce(lines.return_lines, 0) AS return_lines,
           coalesce(purchases.orders, 0)   AS orders,
           coalesce(lines.discounts, 0)    AS discounts
    FROM purchases FULL JOIN lines USING (customer_id)
    WHERE coalesce(lines.return_lines, 0) > 0 OR coalesce(lines.discounts, 0) <> 0
       OR (CAST($order_cost AS DOUBLE) > 0 AND coalesce(purchases.orders, 0) > 0)
),
members AS (
    SELECT DISTINCT customer_id, program_id
    FROM loyalty_members
    WHERE enrolled_at <= $end AND (left_at IS NULL OR left_at > $start) {customer_filter}
),
program_cost AS (
    SELECT lc.program_id, sum(CAST(lc.amount AS DOUBLE)) / any_value(n.members) AS per_member
    FROM loyalty_costs AS lc
    JOIN (SELECT program_id, count(*) AS members FROM loyalty_members
          WHERE enrolled_at <= $end AND (left_at IS NULL OR left_at > $start)
          GROUP BY program_id) AS n USING (program_id)
    WHERE list_contains(CAST($loyalty_cost_types AS VARCHAR[]), lc.cost_type)
      AND lc.cost_date > $start AND lc.cost_date <= $end
    GROUP BY lc.program_id
),
loyalty AS (
    SELECT customer_id, sum(per_member) AS loyalty_cost
    FROM members JOIN program_cost USING (program_id)
    GROUP BY customer_id
),
manager AS (
    SELECT c.customer_id,
           CAST(am.annual_cost AS DOUBLE) * (CAST($end AS DATE) - CAST($start AS DATE)) / 365.25
             / count(*) OVER (PARTITION BY c.account_manager) AS manager_cost
    FROM stg_customers AS c JOIN account_managers AS am ON am.manager_id = c.account_manager
    WHERE am.annual_cost IS NOT NULL
)
SELECT fc.customer_id, fc.region, fc.channel, fc.customer_type,
       coalesce(service.service_contacts, 0)                     AS service_contacts,
       coalesce(service.complaints, 0)                           AS complaints,
       coalesce(service.service_cost, 0)                         AS service_cost,
       coalesce(tx.orders, 0)                                    AS orders,
       coalesce(tx.orders, 0) * CAST($order_cost AS DOUBLE)      AS order_cost,
       coalesce(tx.return_lines, 0)                              AS return_lines,
       coalesce(tx.return_lines, 0) * CAST($return_cost AS DOUBLE) AS return_cost,
       coalesce(tx.discounts, 0)                                 AS discounts,
       coalesce(loyalty.loyalty_cost, 0)                         AS loyalty_cost,
       coalesce(manager.manager_cost, 0)                         AS manager_cost
FROM (SELECT customer_id FROM service UNION SELECT customer_id FROM tx   -- the customers with any cost:
      UNION SELECT customer_id FROM loyalty UNION SELECT customer_id FROM manager) AS costed   -- joins of
JOIN fc USING (customer_id)                                    -- those rows, not of every customer
LEFT JOIN service USING (customer_id)
LEFT JOIN tx USING (customer_id)
LEFT JOIN loyalty USING (customer_id)
LEFT JOIN manager USING (customer_id)
ORDER BY fc.customer_id
