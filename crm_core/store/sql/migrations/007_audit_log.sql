-- Version 7: who did what with the data. Written by crm_core.audit (uploads, rollbacks,
-- exports, sign-ins, changes to the roles) in the same transaction as the action where
-- there is one; read by admins only.
-- Grain: one row per recorded action.
CREATE SEQUENCE audit_log_seq START 1;
CREATE TABLE audit_log (
    entry_id  BIGINT DEFAULT nextval('audit_log_seq') PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,       -- the server's clock (local time), passed in by the caller
    actor     VARCHAR NOT NULL,         -- e-mail of the signed-in user, or the local user
    role      VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,         -- upload | rollback | export | sign_in | roles_changed | denied
    subject   VARCHAR,                  -- file name, list name, load id...
    rows      BIGINT,                   -- rows written or exported
    detail    VARCHAR                   -- JSON: kind, format, contact fields included, status...
);
