-- Version 10: order lines. An export of order lines repeats its order (invoice) number on
-- every line; the number is kept in transactions.order_id, and lines of one order count as
-- one order (customer_days.orders counts distinct order numbers per day, and rows without
-- one each as an order, as before).
ALTER TABLE transactions ADD COLUMN order_id VARCHAR;

CREATE OR REPLACE VIEW stg_transactions AS
SELECT
    t.transaction_id,
    t.customer_id,
    t.tx_date                                    AS purchase_date,
    CAST(t.amount AS DOUBLE)                     AS net_amount,
    t.amount < 0                                 AS is_return,
    CAST(t.amount - coalesce(t.cost, t.amount * (1 - (
        SELECT CAST(value AS DECIMAL(9, 4)) FROM meta WHERE key = 'default_margin'))) AS DOUBLE)
                                                 AS gross_profit,
    CAST(coalesce(t.discount, 0) AS DOUBLE)      AS discount,
    t.product_id,
    t.product_category,
    t.channel,
    t.order_id
FROM transactions t;
