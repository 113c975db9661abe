-- Grain: one row per customer with a customer_days state on $as_of (who passes the
-- filters): their running totals as of $as_of (see customer_base.sql for the measures),
-- and with option "window" the same over the recent window. Customers without a row
-- never bought by $as_of: zero totals, no dates (filled in by crm_core/customers/base.py).
WITH fc AS (
    {filtered_customers}
),
tx AS (   -- rounded to cents: running DOUBLE sums must not split ties
    SELECT customer_key, day AS state_day, last_purchase, purchase_days AS frequency, orders,
           round(revenue, 2) AS revenue, round(gross_profit, 2) AS gross_profit, round(returns, 2) AS returns
    FROM customer_days
    WHERE next_day > $as_of AND day <= $as_of {key_filter}
),
{window__cte}
state AS (
    SELECT tx.customer_key, tx.last_purchase, tx.frequency, tx.orders, tx.revenue, tx.gross_profit, tx.returns,
           CAST($as_of AS DATE) - tx.last_purchase  AS recency_days,
           tx.revenue / nullif(tx.frequency, 0)     AS average_order_value
           {window__columns}
    FROM tx {window__state_join}
)
SELECT * FROM state
