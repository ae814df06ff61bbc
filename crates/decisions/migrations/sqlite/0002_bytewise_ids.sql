-- Identifiers compare bytewise: SQLite's default collation (BINARY) already
-- does, so nothing changes here (PostgreSQL: COLLATE "C").
SELECT 1;
