-- +goose Up
-- Referrals (leads) and their history, and each program's protection window.

-- How long a referral's email is protected for the partner who registered it
-- first: another partner's referral of the same email inside the window is a
-- duplicate. 0 protects nothing.
ALTER TABLE programs ADD COLUMN protection_days INTEGER NOT NULL DEFAULT 60 CHECK (protection_days BETWEEN 0 AND 365);

-- A prospective customer brought by a partner. domain is the company domain
-- of the email ('' for free-mail addresses); conflict_with_id is the customer
-- or referral the conflict is with. expected_value is in the program's
-- currency.
CREATE TABLE referrals (
    id               TEXT PRIMARY KEY,
    program_id       TEXT NOT NULL REFERENCES programs (id),
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    link_id          TEXT REFERENCES links (id),
    source           TEXT NOT NULL CHECK (source IN ('lead_form', 'partner_registered', 'api', 'conversion')),
    email            TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL DEFAULT '',
    company          TEXT NOT NULL DEFAULT '',
    domain           TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    expected_value   BIGINT NOT NULL DEFAULT 0 CHECK (expected_value >= 0),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('new', 'qualified', 'customer', 'rejected', 'duplicate', 'lost')),
    reason           TEXT NOT NULL DEFAULT '',
    conflict         TEXT NOT NULL DEFAULT 'none' CHECK (conflict IN ('none', 'existing_customer', 'protected_by_other', 'possible_duplicate')),
    conflict_with_id TEXT NOT NULL DEFAULT '',
    customer_id      TEXT REFERENCES customers (id),
    protected_until  BIGINT NOT NULL,
    qualified_at     BIGINT,
    converted_at     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
-- A partner registers an email once per program.
CREATE UNIQUE INDEX referrals_partner_email ON referrals (program_id, partner_id, email) WHERE email <> '';
CREATE INDEX referrals_email ON referrals (program_id, email, protected_until);
CREATE INDEX referrals_domain ON referrals (program_id, domain) WHERE domain <> '';
CREATE INDEX referrals_program ON referrals (program_id, created_at, id);
CREATE INDEX referrals_partner ON referrals (partner_id, created_at, id);
CREATE INDEX referrals_list ON referrals (created_at, id);
CREATE INDEX referrals_link ON referrals (link_id) WHERE link_id IS NOT NULL;

-- Every status a referral has had, in order: from_status is '' for the
-- first row (its creation).
CREATE TABLE referral_events (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    seq         INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    occurred_at BIGINT NOT NULL,
    PRIMARY KEY (referral_id, seq)
);

-- +goose Down
DROP TABLE referral_events;
DROP TABLE referrals;
ALTER TABLE programs DROP COLUMN protection_days;
