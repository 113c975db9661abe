-- Version 8: customer_days carries customers.customer_key, so queries that scan it for
-- hundreds of thousands of customers (churn lapses, complaints) join and return integers
-- instead of strings. Written by sql/refresh_customer_days.sql; back-filled by the full
-- refresh that follows the migration of a file with data.
ALTER TABLE customer_days ADD COLUMN customer_key INTEGER;
