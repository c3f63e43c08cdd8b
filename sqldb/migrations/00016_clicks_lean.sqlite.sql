-- +goose Up
-- Clicks cost fewer B-trees per insert (the redirect waits for each commit).
-- Their IDs sort by time (tandem.NewTimeID), so the table is clustered on
-- its primary key (WITHOUT ROWID): one B-tree instead of a rowid table and
-- a separate primary key index, both growing at their end. The index on
-- (link_id, occurred_at) served no query (reports read click_rollups) and
-- is gone. The visitor index takes the bot flag before the time, so that the
-- uniqueness check (non-bot clicks of a visitor on a link in a time range)
-- reads the index alone. program_id and partner_id are the link's, copied
-- in the transaction that reads the link: the link's own foreign keys guard
-- them, so they no longer have their own (a check of each per click).
-- The .postgres.sql file of this version makes the same changes but keeps
-- the table, as PostgreSQL tables have no rowid.
CREATE TABLE clicks_lean (
    id           TEXT PRIMARY KEY,
    link_id      TEXT NOT NULL REFERENCES links (id),
    program_id   TEXT NOT NULL,
    partner_id   TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    visitor      TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    referrer     TEXT NOT NULL DEFAULT '',
    landing_url  TEXT NOT NULL DEFAULT '',
    bot          BOOLEAN NOT NULL,
    is_unique    BOOLEAN NOT NULL,
    attributable BOOLEAN NOT NULL
) WITHOUT ROWID;
INSERT INTO clicks_lean SELECT id, link_id, program_id, partner_id, occurred_at, visitor, user_agent, referrer,
    landing_url, bot, is_unique, attributable FROM clicks;
DROP TABLE clicks;
ALTER TABLE clicks_lean RENAME TO clicks;
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, bot, occurred_at);

-- +goose Down
CREATE TABLE clicks_rowid (
    id           TEXT PRIMARY KEY,
    link_id      TEXT NOT NULL REFERENCES links (id),
    program_id   TEXT NOT NULL REFERENCES programs (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    occurred_at  BIGINT NOT NULL,
    visitor      TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    referrer     TEXT NOT NULL DEFAULT '',
    landing_url  TEXT NOT NULL DEFAULT '',
    bot          BOOLEAN NOT NULL,
    is_unique    BOOLEAN NOT NULL,
    attributable BOOLEAN NOT NULL
);
INSERT INTO clicks_rowid SELECT id, link_id, program_id, partner_id, occurred_at, visitor, user_agent, referrer,
    landing_url, bot, is_unique, attributable FROM clicks;
DROP TABLE clicks;
ALTER TABLE clicks_rowid RENAME TO clicks;
CREATE INDEX clicks_link ON clicks (link_id, occurred_at);
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, occurred_at);
