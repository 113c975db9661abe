-- Version 14: campaign contacts are an upload kind (with control flags and responses); each
-- row keeps the load that brought it, so a load can be rolled back like the others.
ALTER TABLE campaign_contacts ADD COLUMN ingest_id BIGINT;
