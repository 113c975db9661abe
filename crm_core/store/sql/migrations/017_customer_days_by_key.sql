-- Version 17: customer_days and customer_months keyed by the integer customer_key alone
-- (migrations 8 and 5 gave them the key; every query now joins them by it). Their text
-- customer_id went: writing the text of every row was about 1.3 s of a full 10M-row load
-- (8.8M customer-day and 4.1M customer-month rows). The full refresh that follows the
-- migration of a file with data rewrites both layers.
ALTER TABLE customer_days DROP COLUMN customer_id;
ALTER TABLE customer_months DROP COLUMN customer_id;
