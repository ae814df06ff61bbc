-- Identifiers compare bytewise (COLLATE "C"): trans_nums and card tokens are
-- ASCII hex, their order means nothing, and every index entry inserted or
-- looked up compares them. Under the database's default collation (en_US,
-- C.UTF-8 ...) each comparison goes through strcoll: 8 % of PostgreSQL's CPU
-- when the stream worker logs decisions (docs/benchmarks.md, "Streaming").
-- Equality is unchanged, so no stored key becomes a duplicate. Rewrites the
-- indexes on these columns.
ALTER TABLE decisions
    ALTER COLUMN trans_num TYPE TEXT COLLATE "C",
    ALTER COLUMN card_token TYPE TEXT COLLATE "C";
ALTER TABLE feedback ALTER COLUMN trans_num TYPE TEXT COLLATE "C";
ALTER TABLE feedback_history ALTER COLUMN trans_num TYPE TEXT COLLATE "C";
