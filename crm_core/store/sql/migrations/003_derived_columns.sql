-- Version 3: derived columns that make the per-customer layer fast at scale.
-- They are maintained by every writer through Store.refresh_derived() (sql/refresh_*.sql),
-- and back-filled right after this migration is applied to a file that has data.
--   transactions.first_of_day   : the first purchase row of that customer on that day
--                                 (so "distinct purchase days" is a plain count)
--   transactions.first_of_month : the first purchase row of that customer in that month
--   customers.first_purchase    : the customer's first purchase date
ALTER TABLE transactions ADD COLUMN first_of_day BOOLEAN;
ALTER TABLE transactions ADD COLUMN first_of_month BOOLEAN;
ALTER TABLE customers ADD COLUMN first_purchase DATE;

-- Staging now exposes the flags, and money as DOUBLE for aggregation speed (the
-- tables keep exact DECIMAL; analytic sums carry ~1e-15 relative rounding).
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
    coalesce(t.first_of_day, FALSE)              AS first_of_day,
    coalesce(t.first_of_month, FALSE)            AS first_of_month,
    t.product_id,
    t.product_category,
    t.channel
FROM transactions t;

CREATE OR REPLACE VIEW stg_customers AS
SELECT
    c.customer_id,
    c.name,
    c.email,
    c.phone,
    coalesce(c.region, '(unknown)')              AS region,
    coalesce(c.acquisition_channel, '(unknown)') AS channel,
    coalesce(c.customer_type, '(unknown)')       AS customer_type,
    c.industry,
    c.signup_date,
    c.first_purchase,
    least(c.signup_date, c.first_purchase)       AS known_since,
    c.account_manager
FROM customers c;
