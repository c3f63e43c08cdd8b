-- +goose Up
-- Clicks cost fewer index entries per insert (the redirect waits for each
-- commit). The index on (link_id, occurred_at) served no query (reports read
-- click_rollups) and is gone. The visitor index takes the bot flag before
-- the time, so that the uniqueness check (non-bot clicks of a visitor on a
-- link in a time range) reads the index alone. The .sqlite.sql file of this version also makes the table
-- WITHOUT ROWID.
DROP INDEX clicks_link;
DROP INDEX clicks_visitor;
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, bot, occurred_at);

-- +goose Down
DROP INDEX clicks_visitor;
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, occurred_at);
CREATE INDEX clicks_link ON clicks (link_id, occurred_at);
