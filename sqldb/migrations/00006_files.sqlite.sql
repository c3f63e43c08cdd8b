-- +goose Up
-- Stored files (resource library uploads). The .sqlite.sql and .postgres.sql
-- files of this version differ only in the type of data: BLOB on SQLite,
-- BYTEA on PostgreSQL. Files are kept in the database (one backup holds
-- everything); only sniffed, allowed types are stored.
CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size > 0),
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE files;
