-- +goose Up
-- Times are Unix milliseconds (BIGINT) in both dialects. IDs are the public,
-- prefixed random IDs (see tandem.NewID).

CREATE TABLE programs (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('referral', 'affiliate', 'reseller', 'strategic')),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    time_zone    TEXT NOT NULL,
    cookie_days  INTEGER NOT NULL CHECK (cookie_days BETWEEN 1 AND 730),
    attribution  TEXT NOT NULL CHECK (attribution IN ('first_click', 'last_click')),
    auto_approve BOOLEAN NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'archived')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    type       TEXT NOT NULL CHECK (type IN ('referral_partner', 'affiliate', 'strategic', 'agent')),
    company    TEXT NOT NULL DEFAULT '',
    website    TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL CHECK (source IN ('applied', 'invited', 'imported')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (program_id, partner_id)
);
CREATE INDEX memberships_partner ON memberships (partner_id);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    occurred_at BIGINT NOT NULL
);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at);
CREATE INDEX audit_log_entity ON audit_log (entity_id, occurred_at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE memberships;
DROP TABLE partners;
DROP TABLE programs;
