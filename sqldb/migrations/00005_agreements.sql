-- +goose Up
-- Programs' agreements: immutable versions numbered per program (the highest
-- is the current one) and partners' acceptances, one per partner and version.
CREATE TABLE agreement_versions (
    id           TEXT PRIMARY KEY,
    program_id   TEXT NOT NULL REFERENCES programs (id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_by TEXT NOT NULL DEFAULT '',
    published_at BIGINT NOT NULL,
    UNIQUE (program_id, version)
);

CREATE TABLE agreement_acceptances (
    program_id      TEXT NOT NULL REFERENCES programs (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    version_id      TEXT NOT NULL REFERENCES agreement_versions (id),
    partner_user_id TEXT NOT NULL REFERENCES partner_users (id),
    full_name       TEXT NOT NULL,
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    accepted_at     BIGINT NOT NULL,
    PRIMARY KEY (partner_id, version_id)
);
CREATE INDEX agreement_acceptances_program ON agreement_acceptances (program_id, accepted_at);
CREATE INDEX agreement_acceptances_version ON agreement_acceptances (version_id);

-- +goose Down
DROP TABLE agreement_acceptances;
DROP TABLE agreement_versions;
