-- +goose Up
-- Invitations of hand-picked people to a program: one row per program and
-- email, whose link (only its SHA-256 is kept) is replaced when the
-- invitation is sent again. "expired" is computed from expires_at.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    company     TEXT NOT NULL DEFAULT '',
    invited_by  TEXT NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'revoked')),
    partner_id  TEXT REFERENCES partners (id),
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    UNIQUE (program_id, email)
);
CREATE INDEX invitations_program ON invitations (program_id, sent_at);

-- CSV imports of invitations, worked through by a background job: the
-- counts show its progress, the rows are the per-row report.
CREATE TABLE invitation_imports (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    invited_by  TEXT NOT NULL REFERENCES users (id),
    file_name   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done')),
    total       INTEGER NOT NULL,
    processed   INTEGER NOT NULL DEFAULT 0,
    invited     INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX invitation_imports_program ON invitation_imports (program_id, created_at);

CREATE TABLE invitation_import_rows (
    import_id     TEXT NOT NULL REFERENCES invitation_imports (id),
    line          INTEGER NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    company       TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'invited', 'skipped', 'failed')),
    reason        TEXT NOT NULL DEFAULT '',
    invitation_id TEXT REFERENCES invitations (id),
    PRIMARY KEY (import_id, line)
);
CREATE INDEX invitation_import_rows_pending ON invitation_import_rows (import_id, outcome, line);

-- +goose Down
DROP TABLE invitation_import_rows;
DROP TABLE invitation_imports;
DROP TABLE invitations;
