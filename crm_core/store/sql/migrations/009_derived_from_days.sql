-- Version 9: the per-transaction flags first_of_day / first_of_month (migration 3) are
-- gone. Everything they counted is in the derived tables: distinct purchase days per
-- customer in customer_days.purchase_days and customer_months.purchase_days, buyers of
-- a month in customer_months (orders > 0). Keeping them meant rewriting two columns of
-- every transaction of a touched month at each load (an UPDATE over all 10M rows of a
-- full history, 4 s of a 25 s load). Derived data is rebuilt from one day-level
-- aggregate now (sql/refresh_customer_days.sql).
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
    t.channel
FROM transactions t;

ALTER TABLE transactions DROP COLUMN first_of_day;
ALTER TABLE transactions DROP COLUMN first_of_month;
