-- +goose Up
-- A visitor's clicks on a link count once per hour: click_windows keeps,
-- per visitor and link, the time of the last click that counted (unique).
-- The uniqueness check reads and writes this small table instead of an
-- index over every click, whose entries (keyed by a random visitor hash)
-- landed on a random page per click, each page written again at every
-- commit. Rows older than the window are deleted by an hourly job. The
-- .sqlite.sql file of this version does the same with a WITHOUT ROWID
-- table. It starts from the unique clicks of the last hour of recorded
-- clicks.
CREATE TABLE click_windows (
    visitor   TEXT NOT NULL,
    link_id   TEXT NOT NULL,
    unique_at BIGINT NOT NULL,
    PRIMARY KEY (visitor, link_id)
);
INSERT INTO click_windows (visitor, link_id, unique_at)
SELECT visitor, link_id, MAX(occurred_at) FROM clicks
WHERE is_unique AND occurred_at > (SELECT MAX(occurred_at) FROM clicks) - 3600000
GROUP BY visitor, link_id;
DROP INDEX clicks_visitor;
-- The link of a click is read in the transaction that records it, and
-- links are never deleted (only archived): the key's check, a locking read
-- of the link's row per click, guards nothing.
ALTER TABLE clicks DROP CONSTRAINT clicks_link_id_fkey;

-- +goose Down
ALTER TABLE clicks ADD FOREIGN KEY (link_id) REFERENCES links (id);
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, bot, occurred_at);
DROP TABLE click_windows;
