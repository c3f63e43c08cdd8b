-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'finance', 'read_only')),
    status        TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash TEXT NOT NULL DEFAULT '',
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    last_login_at BIGINT
);

CREATE TABLE partner_users (
    id            TEXT PRIMARY KEY,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    last_login_at BIGINT
);
CREATE INDEX partner_users_partner ON partner_users (partner_id);

-- One-time links: magic sign-in, password reset, invitation, first-owner setup.
-- Only the SHA-256 of the token is kept.
CREATE TABLE login_links (
    token_hash     TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL CHECK (purpose IN ('sign_in', 'password_reset', 'invite', 'setup')),
    principal_kind TEXT NOT NULL DEFAULT '',
    principal_id   TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX login_links_expiry ON login_links (expires_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- The email outbox: a row and its send job are written in the transaction
-- that asks for the email, so nothing acknowledged is lost.
CREATE TABLE emails (
    id         TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    to_name    TEXT NOT NULL DEFAULT '',
    template   TEXT NOT NULL,
    data       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sent')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);

CREATE TABLE rate_limits (
    bucket       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE emails;
DROP TABLE api_keys;
DROP TABLE login_links;
DROP TABLE partner_users;
DROP TABLE users;
