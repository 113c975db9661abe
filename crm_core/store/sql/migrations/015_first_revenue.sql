-- Version 15: customers.first_revenue, the customer's running revenue on their first purchase
-- day (the customer_days row where purchase days become 1). The CLV model's average repeat
-- value is the revenue after that day: the CLV summary read it by filtering every
-- customer-day row (76M at the 100M-transaction benchmark); now it reads one value per
-- customer. Maintained by Store.refresh_derived() beside first_purchase
-- (sql/refresh_customer_days.sql) and back-filled when this migration is applied to a file
-- that has data.
ALTER TABLE customers ADD COLUMN first_revenue DOUBLE;

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
    c.customer_key,
    c.first_revenue
FROM customers c;
