-- +goose Up
-- Program settings for recruiting and tracking, partner groups (tiers),
-- application questions, and the applicant's answers on the membership.
ALTER TABLE programs ADD COLUMN destination_url TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN allowed_domains TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN headline TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN value_props TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN ideal_partner TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN invites_skip_review BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE partner_groups (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (program_id, name)
);

CREATE TABLE application_questions (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'long_text', 'choice', 'url')),
    choices     TEXT NOT NULL DEFAULT '',
    required    BOOLEAN NOT NULL,
    archived_at BIGINT
);
CREATE INDEX application_questions_program ON application_questions (program_id, position);

ALTER TABLE memberships ADD COLUMN group_id TEXT REFERENCES partner_groups (id);
ALTER TABLE memberships ADD COLUMN answers TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN flags TEXT NOT NULL DEFAULT '';

ALTER TABLE partners ADD COLUMN social_links TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN tags TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE partners DROP COLUMN tags;
ALTER TABLE partners DROP COLUMN audience;
ALTER TABLE partners DROP COLUMN social_links;
ALTER TABLE memberships DROP COLUMN flags;
ALTER TABLE memberships DROP COLUMN answers;
ALTER TABLE memberships DROP COLUMN group_id;
DROP TABLE application_questions;
DROP TABLE partner_groups;
ALTER TABLE programs DROP COLUMN invites_skip_review;
ALTER TABLE programs DROP COLUMN ideal_partner;
ALTER TABLE programs DROP COLUMN value_props;
ALTER TABLE programs DROP COLUMN headline;
ALTER TABLE programs DROP COLUMN allowed_domains;
ALTER TABLE programs DROP COLUMN destination_url;
