-- +goose Up
-- The resource library: what partners study to sell well.
CREATE TABLE resources (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    group_id    TEXT REFERENCES partner_groups (id),
    kind        TEXT NOT NULL CHECK (kind IN ('persona', 'value_prop', 'competitor', 'file', 'video', 'copy', 'brand')),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    file_id     TEXT REFERENCES files (id),
    required    BOOLEAN NOT NULL,
    position    INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX resources_program ON resources (program_id, position);
CREATE INDEX resources_file ON resources (file_id);

-- Which partner read which resource, and when (the first time).
CREATE TABLE resource_reads (
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    resource_id TEXT NOT NULL REFERENCES resources (id),
    read_at     BIGINT NOT NULL,
    PRIMARY KEY (partner_id, resource_id)
);
CREATE INDEX resource_reads_resource ON resource_reads (resource_id);

-- +goose Down
DROP TABLE resource_reads;
DROP TABLE resources;
