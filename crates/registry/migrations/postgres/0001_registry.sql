-- Vigie registry schema, PostgreSQL dialect. Times are Unix milliseconds (UTC).
-- Kept column-for-column identical to migrations/sqlite/0001_registry.sql.
-- Unqualified names: objects go to the first schema of the search_path.

CREATE TABLE runs (
    id               TEXT             PRIMARY KEY,
    experiment       TEXT             NOT NULL,
    name             TEXT             NOT NULL,
    status           TEXT             NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
    params           TEXT             NOT NULL,
    tags             TEXT             NOT NULL,
    data_fingerprint TEXT             NOT NULL,
    code_version     TEXT,
    started_at       BIGINT           NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX runs_by_experiment ON runs (experiment, started_at);

CREATE TABLE run_metrics (
    run_id    TEXT             NOT NULL REFERENCES runs (id),
    name      TEXT             NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    logged_at BIGINT           NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE run_curves (
    run_id TEXT             NOT NULL REFERENCES runs (id),
    name   TEXT             NOT NULL,
    step   BIGINT           NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, name, step)
);

CREATE TABLE run_artifacts (
    run_id    TEXT   NOT NULL REFERENCES runs (id),
    name      TEXT   NOT NULL,
    sha256    TEXT   NOT NULL,
    size      BIGINT NOT NULL,
    logged_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE models (
    name       TEXT   PRIMARY KEY,
    created_at BIGINT NOT NULL,
    created_by TEXT   NOT NULL
);

CREATE TABLE model_versions (
    model               TEXT   NOT NULL REFERENCES models (name),
    version             BIGINT NOT NULL CHECK (version >= 1),
    run_id              TEXT   REFERENCES runs (id),
    artifact_sha256     TEXT   NOT NULL,
    artifact_size       BIGINT NOT NULL,
    feature_schema_hash TEXT   NOT NULL,
    description         TEXT   NOT NULL,
    created_at          BIGINT NOT NULL,
    created_by          TEXT   NOT NULL,
    PRIMARY KEY (model, version)
);

CREATE TABLE aliases (
    model      TEXT   NOT NULL REFERENCES models (name),
    alias      TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL,
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE audit_log (
    seq            BIGINT PRIMARY KEY,
    at             BIGINT NOT NULL,
    actor          TEXT   NOT NULL,
    action         TEXT   NOT NULL,
    model          TEXT   NOT NULL,
    alias          TEXT,
    before_version BIGINT,
    after_version  BIGINT,
    detail         TEXT   NOT NULL,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL UNIQUE
);
CREATE INDEX audit_by_target ON audit_log (model, alias, seq);

-- The chain head: one row, locked FOR UPDATE by every audited write, which
-- serialises registry changes and keeps the chain linear.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only and versions are immutable, whatever the client.
CREATE FUNCTION vigie_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION vigie_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION vigie_refuse_change();
CREATE TRIGGER model_versions_immutable BEFORE UPDATE OR DELETE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION vigie_refuse_change();
