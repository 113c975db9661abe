-- Version 4: customer_days, the running-totals layer that makes "one row per customer
-- as of any date" a filter instead of an aggregation over every transaction.
-- Grain: one row per customer per day on which they had any transaction.
-- Every cumulative column covers all of that customer's transactions up to and
-- including `day`, so the state of every customer as of a date D is exactly
--     WHERE day <= D AND next_day > D
-- and the activity in a period (a, b] is the difference of the states at b and a.
-- Rows are written in next_day order, so for a recent D the zone maps skip almost
-- every row group (the scan costs the rows after D, not the whole history).
-- Maintained by Store.refresh_derived() (sql/refresh_customer_days.sql); money is
-- DOUBLE here, like the staging views (the exact DECIMAL lives in transactions).
CREATE TABLE customer_days (
    customer_id   VARCHAR NOT NULL,
    day           DATE NOT NULL,
    next_day      DATE NOT NULL,  -- the customer's next day with a transaction (9999-12-31: none)
    last_purchase DATE,     -- latest purchase day <= day (NULL: only returns so far)
    purchase_days INTEGER NOT NULL,  -- distinct days with a purchase (amount >= 0)
    orders        BIGINT NOT NULL,   -- purchase rows
    revenue       DOUBLE NOT NULL,   -- net of returns
    gross_profit  DOUBLE NOT NULL,   -- net of returns
    returns       DOUBLE NOT NULL    -- value returned (positive)
);
