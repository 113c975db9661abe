-- Grain: one row per customer passing the filters per calendar month with a transaction,
-- months starting on or before $as_of; customers by customer_key (an integer: no string
-- join over millions of rows), m counts months since the month of $start.
WITH fc AS (
    SELECT customer_key FROM ({filtered_customers})
)
SELECT cm.customer_key AS code, CAST(datediff('month', CAST($start AS DATE), cm.month) AS INTEGER) AS m,
       cm.revenue, cm.gross_profit AS profit, cm.purchase_days, cm.orders, cm.discounted
FROM customer_months AS cm
WHERE cm.month <= $as_of AND cm.month >= date_trunc('month', CAST($start AS DATE))
  {key_filter}
