-- Rebuild the derived data of every customer with a transaction, or a customer_days row,
-- on or after $since (rows written or removed): their customer_days running totals (from
-- all their days: a running total depends on everything before), their customer_months
-- from the month of $since on (earlier months cannot change) and their first purchase.
-- Other customers' derived rows cannot change. Runs inside the writer's transaction.
-- All three come from one day-level aggregate of the touched customers' transactions,
-- so the transactions are scanned once.
CREATE OR REPLACE TEMP TABLE _touched AS
SELECT customer_id FROM transactions WHERE tx_date >= $since
UNION
SELECT customer_id FROM customer_days WHERE day >= $since;

-- Grain: one row per touched customer per day with a transaction.
CREATE OR REPLACE TEMP TABLE _daily AS
SELECT c.customer_key, d.*
FROM (SELECT customer_id, purchase_date AS day,
             count(*) FILTER (WHERE NOT is_return {order_ids__lines})  -- with order numbers: lines of one order
               {order_ids__orders}                                     -- count once (a distinct count, paid
                                                                       AS orders,   -- only when some rows have one)
             count(*) FILTER (WHERE NOT is_return AND discount > 0) AS discounted,
             sum(net_amount)                                        AS revenue,
             sum(gross_profit)                                      AS gross_profit,
             coalesce(-sum(net_amount) FILTER (WHERE is_return), 0) AS returns
      FROM stg_transactions
      WHERE customer_id IN (SELECT customer_id FROM _touched)
      GROUP BY customer_id, purchase_date) AS d
JOIN customers AS c USING (customer_id);

DELETE FROM customer_days WHERE customer_id IN (SELECT customer_id FROM _touched);

INSERT INTO customer_days (customer_id, day, next_day, last_purchase, purchase_days, orders, revenue,
                           gross_profit, returns, customer_key)
SELECT customer_id, day,
       lead(day, 1, DATE '9999-12-31') OVER (PARTITION BY customer_key ORDER BY day) AS next_day,
       max(CASE WHEN orders > 0 THEN day END) OVER w                              AS last_purchase,
       CAST(sum(CASE WHEN orders > 0 THEN 1 ELSE 0 END) OVER w AS INTEGER)        AS purchase_days,
       sum(orders) OVER w                                                         AS orders,
       sum(revenue) OVER w                                                        AS revenue,
       sum(gross_profit) OVER w                                                   AS gross_profit,
       sum(returns) OVER w                                                        AS returns,
       customer_key
FROM _daily
-- partitioned by the integer key, not the text id: the window step is 40% faster (6.0 -> 3.8 s on 8.8M days)
WINDOW w AS (PARTITION BY customer_key ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY next_day, customer_id;

-- Grain: one row per customer per calendar month with a transaction.
DELETE FROM customer_months
WHERE month >= date_trunc('month', CAST($since AS DATE))
  AND customer_id IN (SELECT customer_id FROM _touched);

INSERT INTO customer_months (customer_key, customer_id, month, revenue, gross_profit, purchase_days, orders, discounted)
SELECT customer_key, customer_id, CAST(date_trunc('month', day) AS DATE) AS month,
       sum(revenue), sum(gross_profit),
       CAST(count(*) FILTER (WHERE orders > 0) AS INTEGER), CAST(sum(orders) AS INTEGER), CAST(sum(discounted) AS INTEGER)
FROM _daily
WHERE day >= date_trunc('month', CAST($since AS DATE))
GROUP BY ALL
ORDER BY customer_key, month;

-- customers.first_purchase: the earliest purchase day, NULL once a customer has none left.
-- Materialised before the UPDATE: DuckDB runs an UPDATE ... FROM over an aggregate
-- subquery about 10x slower.
CREATE OR REPLACE TEMP TABLE _firsts AS
SELECT t.customer_id, min(d.day) FILTER (WHERE d.orders > 0) AS first_purchase
FROM _touched AS t LEFT JOIN _daily AS d USING (customer_id)
GROUP BY t.customer_id;

UPDATE customers AS c
SET first_purchase = f.first_purchase
FROM _firsts AS f
WHERE c.customer_id = f.customer_id AND c.first_purchase IS DISTINCT FROM f.first_purchase;

DROP TABLE _firsts;
DROP TABLE _daily;
DROP TABLE _touched;
