-- Grain: one row per transaction line of customer $customer_id (passing the filters) up to
-- $as_of, newest first: returns are the lines with a negative amount. $first_day..$last_day
-- (the customer's transaction days, from customer_profile) lets the scan skip the row groups
-- of other dates (transactions are stored by date).
SELECT t.tx_date AS date, t.transaction_id, t.order_id, CAST(t.amount AS DOUBLE) AS amount, t.quantity,
       t.product_id, coalesce(t.product_category, p.category) AS category, t.channel,
       CAST(t.discount AS DOUBLE) AS discount
FROM transactions AS t
LEFT JOIN products AS p USING (product_id)
WHERE t.customer_id = $customer_id AND t.tx_date BETWEEN $first_day AND $last_day
  AND t.customer_id IN (SELECT customer_id FROM ({filtered_customers}))
ORDER BY t.tx_date DESC, t.transaction_id
