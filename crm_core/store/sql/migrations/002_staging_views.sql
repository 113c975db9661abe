-- Version 2: the staging layer. Views rename and derive; they never aggregate.
-- Everything downstream (customer base, metrics) reads these, not the raw tables.

INSERT INTO meta VALUES ('default_margin', '0.30') ON CONFLICT DO NOTHING;
INSERT INTO meta VALUES ('base_currency', 'USD') ON CONFLICT DO NOTHING;

-- Grain: one row per transaction. Gross profit uses the recorded cost, else the
-- database's default margin.
CREATE OR REPLACE VIEW stg_transactions AS
SELECT
    t.transaction_id,
    t.customer_id,
    t.tx_date                      AS purchase_date,
    t.amount                       AS net_amount,
    t.amount < 0                   AS is_return,
    t.amount - coalesce(t.cost, t.amount * (1 - (
        SELECT CAST(value AS DECIMAL(9, 4)) FROM meta WHERE key = 'default_margin')))
                                   AS gross_profit,
    coalesce(t.discount, 0)        AS discount,
    t.product_id,
    t.product_category,
    t.channel
FROM transactions t;

-- Grain: one row per customer, attributes only, unknowns labelled consistently.
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
    c.account_manager
FROM customers c;

-- Grain: one row per exit event.
CREATE OR REPLACE VIEW stg_churn_events AS
SELECT customer_id, churn_date, reason, reason_detail FROM churn_events;
