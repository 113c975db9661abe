-- Grain: the one customer $customer_id if it passes the filters (else no row): the record,
-- its account manager's name, and the lifetime figures as of $as_of from customer_days
-- (purchase days, orders, revenue, gross profit, returns; NULL: no transaction yet), read by
-- its key $customer_key,
-- with the span of its transaction days up to $as_of (first_day, last_day; for the lines).
WITH fc AS (
    SELECT * FROM ({filtered_customers}) WHERE customer_id = $customer_id
),
days AS (
    SELECT * FROM customer_days WHERE customer_key = $customer_key AND day <= $as_of
),
state AS (
    SELECT last_purchase, purchase_days, orders, revenue, gross_profit, returns,
           (SELECT min(day) FROM days) AS first_day, (SELECT max(day) FROM days) AS last_day
    FROM days
    ORDER BY day DESC
    LIMIT 1
)
SELECT fc.customer_id, c.name, c.email, c.phone, c.address, c.city, c.country, fc.region, fc.channel,
       fc.customer_type, fc.industry, fc.signup_date,
       CASE WHEN fc.first_purchase <= $as_of THEN fc.first_purchase END AS first_purchase,
       s.last_purchase, coalesce(s.purchase_days, 0) AS purchase_days, coalesce(s.orders, 0) AS orders,
       coalesce(s.revenue, 0) AS revenue, coalesce(s.gross_profit, 0) AS gross_profit,
       coalesce(s.returns, 0) AS returns, s.first_day, s.last_day, fc.account_manager, m.name AS manager_name, m.email AS manager_email
FROM fc
JOIN customers AS c USING (customer_id)
LEFT JOIN state AS s ON TRUE   -- (the one customer's latest state: at most one row)
LEFT JOIN account_managers AS m ON m.manager_id = fc.account_manager
