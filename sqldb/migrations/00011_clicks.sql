-- +goose Up
-- Server secrets shared by every instance, created once on first use. The
-- "visitor" secret keys the daily visitor hashes of clicks.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Clicks on partners' links, append-only. visitor is the hex HMAC-SHA256,
-- under a key that rotates daily, of the visitor's network (/24 or /48) and
-- user agent: the IP itself is never stored. Bot clicks are kept for audit
-- but are never unique nor attributable.
CREATE TABLE clicks (
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
CREATE INDEX clicks_link ON clicks (link_id, occurred_at);
CREATE INDEX clicks_visitor ON clicks (visitor, link_id, occurred_at);

-- Click counts per link per day (YYYY-MM-DD in the program's time zone),
-- upserted in the transaction that records the clicks: dashboards read
-- these, never the raw clicks.
CREATE TABLE click_rollups (
    link_id       TEXT NOT NULL REFERENCES links (id),
    day           TEXT NOT NULL,
    clicks        BIGINT NOT NULL DEFAULT 0,
    unique_clicks BIGINT NOT NULL DEFAULT 0,
    bot_clicks    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, day)
);

-- +goose Down
DROP TABLE click_rollups;
DROP TABLE clicks;
DROP TABLE secrets;
