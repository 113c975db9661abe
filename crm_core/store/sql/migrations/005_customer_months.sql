-- Version 5: customer_months, the monthly activity layer behind before/after comparisons
-- (loyalty programs' matched difference-in-differences reads windows of months for
-- hundreds of thousands of customers at many enrolment dates), and customers.customer_key,
-- a dense integer key (0, 1, 2, ... in order of arrival) so such reads need no string join.
-- Both are maintained by Store.refresh_derived() (sql/refresh_customer_keys.sql,
-- sql/refresh_customer_months.sql) and back-filled when this migration is applied to a
-- file that has data.
ALTER TABLE customers ADD COLUMN customer_key INTEGER;

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
    c.account_manager,
    c.customer_key
FROM customers c;

-- Grain: one row per customer per calendar month in which they had any transaction.
-- Money is DOUBLE, as in staging.
CREATE TABLE customer_months (
    customer_key  INTEGER NOT NULL,  -- customers.customer_key
    customer_id   VARCHAR NOT NULL,
    month         DATE NOT NULL,     -- first day of the month
    revenue       DOUBLE NOT NULL,   -- net of returns
    gross_profit  DOUBLE NOT NULL,   -- net of returns
    purchase_days INTEGER NOT NULL,  -- distinct days with a purchase (amount >= 0)
    orders        INTEGER NOT NULL,  -- purchase rows
    discounted    INTEGER NOT NULL   -- purchase rows that carried a discount
);
