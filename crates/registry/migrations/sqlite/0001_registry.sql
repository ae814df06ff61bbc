-- Vigie registry schema, SQLite dialect. Times are Unix milliseconds (UTC).
-- Kept column-for-column identical to migrations/postgres/0001_registry.sql.

CREATE TABLE runs (
    id               TEXT    PRIMARY KEY,
    experiment       TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
    params           TEXT    NOT NULL,          -- JSON object
    tags             TEXT    NOT NULL,          -- JSON object of strings
    data_fingerprint TEXT    NOT NULL,
    code_version     TEXT,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX runs_by_experiment ON runs (experiment, started_at);

CREATE TABLE run_metrics (
    run_id    TEXT    NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    value     REAL    NOT NULL,
    logged_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE run_curves (
    run_id    TEXT    NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    step      INTEGER NOT NULL,
    value     REAL    NOT NULL,
    PRIMARY KEY (run_id, name, step)
);

CREATE TABLE run_artifacts (
    run_id    TEXT    NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    sha256    TEXT    NOT NULL,
    size      INTEGER NOT NULL,
    logged_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE models (
    name       TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL
);

CREATE TABLE model_versions (
    model               TEXT    NOT NULL REFERENCES models (name),
    version             INTEGER NOT NULL CHECK (version >= 1),
    run_id              TEXT    REFERENCES runs (id),
    artifact_sha256     TEXT    NOT NULL,
    artifact_size       INTEGER NOT NULL,
    feature_schema_hash TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    created_by          TEXT    NOT NULL,
    PRIMARY KEY (model, version)
);

CREATE TABLE aliases (
    model      TEXT    NOT NULL REFERENCES models (name),
    alias      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    alias          TEXT,
    before_version INTEGER,
    after_version  INTEGER,
    detail         TEXT    NOT NULL,            -- JSON object
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_by_target ON audit_log (model, alias, seq);

-- The chain head: one row, rewritten in the same transaction as every append.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only and versions are immutable, whatever the client.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER model_versions_no_update BEFORE UPDATE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model_versions are immutable'); END;
CREATE TRIGGER model_versions_no_delete BEFORE DELETE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model_versions are immutable'); END;
