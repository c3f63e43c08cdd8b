-- +goose Up
-- A program's own onboarding steps, and which partners ticked them off.
-- (The built-in steps are computed from agreements, profiles and resources.)
CREATE TABLE onboarding_steps (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE INDEX onboarding_steps_program ON onboarding_steps (program_id, position);

CREATE TABLE onboarding_done (
    step_id    TEXT NOT NULL REFERENCES onboarding_steps (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    done_at    BIGINT NOT NULL,
    PRIMARY KEY (step_id, partner_id)
);

-- +goose Down
DROP TABLE onboarding_done;
DROP TABLE onboarding_steps;
