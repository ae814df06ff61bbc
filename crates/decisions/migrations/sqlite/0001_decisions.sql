-- The decision log (SQLite dialect). Times are Unix milliseconds (UTC),
-- event_time is the transaction's zone-less wall-clock seconds.
CREATE TABLE decisions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    trans_num            TEXT    NOT NULL UNIQUE,
    card_token           TEXT    NOT NULL,
    event_time           BIGINT  NOT NULL,
    amount_cents         BIGINT  NOT NULL,
    model_name           TEXT    NOT NULL,
    model_version        BIGINT  NOT NULL,
    feature_schema_hash  TEXT    NOT NULL,
    score                REAL    NOT NULL,
    review_threshold     REAL    NOT NULL,
    block_threshold      REAL    NOT NULL,
    decision             TEXT    NOT NULL CHECK (decision IN ('allow', 'review', 'block')),
    reason_codes         TEXT    NOT NULL,
    rules_fired          TEXT    NOT NULL,
    challenger_model     TEXT,
    challenger_version   BIGINT,
    challenger_score     REAL,
    challenger_decision  TEXT,
    degraded             INTEGER NOT NULL CHECK (degraded IN (0, 1)),
    latency_us           BIGINT  NOT NULL,
    source               TEXT    NOT NULL CHECK (source IN ('http', 'stream')),
    logged_at            BIGINT  NOT NULL,
    record               TEXT    NOT NULL
);
CREATE INDEX decisions_by_card ON decisions (card_token, logged_at);
CREATE INDEX decisions_by_logged_at ON decisions (logged_at);

CREATE TABLE stream_positions (
    consumer       TEXT    NOT NULL,
    partition      INTEGER NOT NULL,
    last_sequence  BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (consumer, partition)
);

-- The current label of each transaction ...
CREATE TABLE feedback (
    trans_num  TEXT    PRIMARY KEY,
    label      INTEGER NOT NULL CHECK (label IN (0, 1)),
    source     TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    noted_at   BIGINT  NOT NULL
);
-- ... and every label ever given, in order.
CREATE TABLE feedback_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    trans_num  TEXT    NOT NULL,
    label      INTEGER NOT NULL CHECK (label IN (0, 1)),
    source     TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    noted_at   BIGINT  NOT NULL
);
CREATE INDEX feedback_history_by_trans ON feedback_history (trans_num);

CREATE TABLE api_keys (
    id          TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    role        TEXT   NOT NULL CHECK (role IN ('scorer', 'analyst', 'admin')),
    salt        TEXT   NOT NULL,
    secret_hash TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE erasures (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    card_token_sha256  TEXT   NOT NULL,
    erased_at          BIGINT NOT NULL,
    rows_affected      BIGINT NOT NULL,
    actor              TEXT   NOT NULL
);
