-- Version 1: every table the product uses. Money is DECIMAL(18,2) (exact), dates are
-- DATE, moments are TIMESTAMP in UTC. Grain is stated per table.

-- Key/value settings of this database (base currency, default margin, data version).
CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per relationship (key-account) manager.
CREATE TABLE account_managers (
    manager_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    email       VARCHAR,
    region      VARCHAR,
    annual_cost DECIMAL(18, 2)
);

-- One row per customer (known, whether or not they have bought).
CREATE TABLE customers (
    customer_id         VARCHAR PRIMARY KEY,
    name                VARCHAR,
    email               VARCHAR,
    phone               VARCHAR,
    address             VARCHAR,
    city                VARCHAR,
    region              VARCHAR,
    country             VARCHAR,
    customer_type       VARCHAR,
    industry            VARCHAR,
    acquisition_channel VARCHAR,
    signup_date         DATE,
    account_manager     VARCHAR,
    ingest_id           BIGINT
);

-- One row per product.
CREATE TABLE products (
    product_id VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL,
    category   VARCHAR,
    unit_price DECIMAL(18, 2),
    unit_cost  DECIMAL(18, 2)
);

-- One row per transaction (order or order line); negative amounts are returns.
-- Invariant kept by every writer: each customer_id here has a row in customers.
-- No primary key on purpose: uniqueness is enforced at ingest, and an index over
-- tens of millions of rows would slow every load.
CREATE TABLE transactions (
    transaction_id   VARCHAR NOT NULL,
    customer_id      VARCHAR NOT NULL,
    tx_date          DATE NOT NULL,
    tx_ts            TIMESTAMP,
    amount           DECIMAL(18, 2) NOT NULL,
    cost             DECIMAL(18, 2),
    quantity         INTEGER,
    product_id       VARCHAR,
    product_category VARCHAR,
    channel          VARCHAR,
    store_id         VARCHAR,
    discount         DECIMAL(18, 2),
    currency         VARCHAR,
    ingest_id        BIGINT
);

-- One row per exit (a cancellation, a contract not renewed) with its reason.
CREATE TABLE churn_events (
    customer_id   VARCHAR NOT NULL,
    churn_date    DATE NOT NULL,
    reason        VARCHAR NOT NULL CHECK (reason IN
                  ('price', 'product', 'service', 'market', 'technology', 'social', 'other')),
    reason_detail VARCHAR,
    ingest_id     BIGINT
);

-- One row per loyalty program.
CREATE TABLE loyalty_programs (
    program_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('points', 'club', 'vip')),
    annual_fee  DECIMAL(18, 2),
    start_date  DATE,
    end_date    DATE
);

-- One row per membership (a customer may join several programs).
CREATE TABLE loyalty_members (
    customer_id VARCHAR NOT NULL,
    program_id  VARCHAR NOT NULL,
    enrolled_at DATE NOT NULL,
    tier        VARCHAR,
    left_at     DATE,
    fee_paid    DECIMAL(18, 2),
    ingest_id   BIGINT
);

-- One row per program cost booking.
CREATE TABLE loyalty_costs (
    program_id VARCHAR NOT NULL,
    cost_date  DATE NOT NULL,
    amount     DECIMAL(18, 2) NOT NULL,
    cost_type  VARCHAR NOT NULL DEFAULT 'other'
               CHECK (cost_type IN ('rewards', 'operations', 'marketing', 'other')),
    ingest_id  BIGINT
);

-- One row per service contact (complaint, inquiry, return, ...).
CREATE TABLE service_interactions (
    interaction_id VARCHAR,
    customer_id    VARCHAR NOT NULL,
    opened_at      TIMESTAMP NOT NULL,
    type           VARCHAR,
    resolved_at    TIMESTAMP,
    channel        VARCHAR,
    satisfaction   TINYINT CHECK (satisfaction BETWEEN 1 AND 5),
    cost           DECIMAL(18, 2),
    ingest_id      BIGINT
);

-- One row per campaign.
CREATE TABLE campaigns (
    campaign_id VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR,
    channel     VARCHAR,
    start_date  DATE,
    end_date    DATE,
    cost        DECIMAL(18, 2)
);

-- One row per customer contacted (or held out as control) in a campaign.
CREATE TABLE campaign_contacts (
    campaign_id  VARCHAR NOT NULL,
    customer_id  VARCHAR NOT NULL,
    contacted_at DATE,
    is_control   BOOLEAN NOT NULL DEFAULT FALSE,
    responded    BOOLEAN,
    response_date DATE
);

-- One row per load of a file (or a generated demo).
CREATE TABLE ingest_log (
    ingest_id     BIGINT PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    file_name     VARCHAR,
    content_hash  VARCHAR,
    user_name     VARCHAR,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,
    rows_read     BIGINT,
    rows_loaded   BIGINT,
    rows_rejected BIGINT,
    message       VARCHAR
);

-- Display exchange rates: units of `currency` per one unit of the base currency.
CREATE TABLE fx_rates (
    currency VARCHAR PRIMARY KEY,
    per_base DECIMAL(18, 8) NOT NULL CHECK (per_base > 0)
);
