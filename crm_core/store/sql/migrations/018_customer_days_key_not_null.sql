-- Version 18: customer_days.customer_key is NOT NULL, as customer_months.customer_key has
-- been since version 5: it is the layer's only key (version 17). A lake file then declares
-- it a required field, which a reader decodes without definition levels (the Spark build
-- wrote it optional). Rows without a key can only come from a file upgraded from before
-- version 8, whose refresh never replaced them: they go, and the full refresh that follows
-- the migration of a file with data writes every customer's rows again.
DELETE FROM customer_days WHERE customer_key IS NULL;
ALTER TABLE customer_days ALTER COLUMN customer_key SET NOT NULL;
