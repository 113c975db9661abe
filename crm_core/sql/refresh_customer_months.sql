-- Rebuild customer_months from the month of $since on, for every customer with a
-- transaction (or a customer_months row) in that range (earlier months cannot change).
-- Runs inside the writer's transaction.
CREATE OR REPLACE TEMP TABLE _touched_months AS
SELECT customer_id FROM transactions WHERE tx_date >= date_trunc('month', CAST($since AS DATE))
UNION
SELECT customer_id FROM customer_months WHERE month >= date_trunc('month', CAST($since AS DATE));

DELETE FROM customer_months
WHERE month >= date_trunc('month', CAST($since AS DATE))
  AND customer_id IN (SELECT customer_id FROM _touched_months);

INSERT INTO customer_months
SELECT c.customer_key, m.*
FROM (SELECT customer_id, CAST(date_trunc('month', purchase_date) AS DATE) AS month,
             sum(net_amount), sum(gross_profit),
             CAST(count(*) FILTER (WHERE first_of_day) AS INTEGER),
             CAST(count(*) FILTER (WHERE NOT is_return) AS INTEGER),
             CAST(count(*) FILTER (WHERE NOT is_return AND discount > 0) AS INTEGER)
      FROM stg_transactions
      WHERE purchase_date >= date_trunc('month', CAST($since AS DATE))
        AND customer_id IN (SELECT customer_id FROM _touched_months)
      GROUP BY ALL) AS m
JOIN customers AS c USING (customer_id)
ORDER BY c.customer_key, m.month;

DROP TABLE _touched_months;
