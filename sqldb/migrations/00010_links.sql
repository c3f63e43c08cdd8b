-- +goose Up
-- Partners' referral links: a short code at /r/{code} leading to the
-- program's destination or a deep link on its allowed domains, with UTM
-- parameters. Codes are unique ignoring case, so that "Jane" and "jane"
-- never belong to two partners; a partner has at most one default link per
-- program. Links are archived, never deleted.
CREATE TABLE links (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    program_id   TEXT NOT NULL REFERENCES programs (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    channel      TEXT NOT NULL CHECK (channel IN ('newsletter', 'facebook', 'x', 'linkedin', 'email', 'custom')),
    label        TEXT NOT NULL DEFAULT '',
    destination  TEXT NOT NULL DEFAULT '',
    utm_source   TEXT NOT NULL DEFAULT '',
    utm_medium   TEXT NOT NULL DEFAULT '',
    utm_campaign TEXT NOT NULL DEFAULT '',
    utm_content  TEXT NOT NULL DEFAULT '',
    utm_term     TEXT NOT NULL DEFAULT '',
    is_default   BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    archived_at  BIGINT
);
CREATE UNIQUE INDEX links_code_folded ON links (lower(code));
CREATE UNIQUE INDEX links_default ON links (program_id, partner_id) WHERE is_default;
CREATE INDEX links_partner ON links (partner_id, program_id, created_at);
CREATE INDEX links_program ON links (program_id, created_at);

-- +goose Down
DROP TABLE links;
