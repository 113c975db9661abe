-- Version 11: what each load did to each customer, so that rolling back one load leaves
-- the customers exactly as if it had never happened, later loads kept (issue 22, item 6).
-- Grain: one row per load per customer it inserted or updated. `existed`/`before`: the
-- customer before this load (NULL when it did not exist); `provided`: the values the load
-- gave (NULL: none given, the stored value stays, as the load's upsert does). A rollback
-- replays the later loads' `provided` values from the rolled-back load's `before`
-- (crm_core/ingest/history.py). A migration that adds a customers column adds it to both.
CREATE TABLE customer_changes (
    ingest_id   BIGINT NOT NULL,
    customer_id VARCHAR NOT NULL,
    existed     BOOLEAN NOT NULL,
    before      STRUCT(name VARCHAR, email VARCHAR, phone VARCHAR, address VARCHAR, city VARCHAR, region VARCHAR,
                       country VARCHAR, customer_type VARCHAR, industry VARCHAR, acquisition_channel VARCHAR,
                       signup_date DATE, account_manager VARCHAR, ingest_id BIGINT),
    provided    STRUCT(name VARCHAR, email VARCHAR, phone VARCHAR, address VARCHAR, city VARCHAR, region VARCHAR,
                       country VARCHAR, customer_type VARCHAR, industry VARCHAR, acquisition_channel VARCHAR,
                       signup_date DATE, account_manager VARCHAR) NOT NULL
);

-- Customers loaded before this version: the best knowledge is that their load created
-- them with the values they have now.
INSERT INTO customer_changes
SELECT ingest_id, customer_id, false, NULL,
       struct_pack(name := name, email := email, phone := phone, address := address, city := city, region := region,
                   country := country, customer_type := customer_type, industry := industry,
                   acquisition_channel := acquisition_channel, signup_date := signup_date,
                   account_manager := account_manager)
FROM customers WHERE ingest_id IS NOT NULL;
