-- +goose Up
-- Payouts: per-program settings, partners' payout methods and tax status,
-- batches, their lines, and the claim of each commission by one line.

CREATE TABLE payout_settings (
    program_id   TEXT PRIMARY KEY REFERENCES programs (id),
    schedule     TEXT NOT NULL CHECK (schedule IN ('manual', 'monthly', 'twice_monthly', 'weekly')),
    day_of_month INTEGER NOT NULL DEFAULT 0,
    weekday      INTEGER NOT NULL DEFAULT 0,
    net_days     INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL,
    methods      TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE TABLE payout_minimums (
    program_id TEXT NOT NULL REFERENCES programs (id),
    currency   TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (program_id, currency)
);

-- One active method per partner; a change archives the old one.
CREATE TABLE payout_methods (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    kind        TEXT NOT NULL CHECK (kind IN ('paypal', 'wise', 'stripe_connect', 'product_credit')),
    details     TEXT NOT NULL,
    display     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'archived')),
    created_at  BIGINT NOT NULL,
    archived_at BIGINT
);
CREATE UNIQUE INDEX payout_methods_active ON payout_methods (partner_id) WHERE status = 'active';

CREATE TABLE partner_tax (
    partner_id   TEXT PRIMARY KEY REFERENCES partners (id),
    form_kind    TEXT NOT NULL DEFAULT '',
    form_file_id TEXT REFERENCES files (id),
    received_at  BIGINT,
    vat_id       TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL
);

-- A program has at most one proposed batch: proposals and partners'
-- requests add to it until finance approves it.
CREATE TABLE payout_batches (
    id           TEXT PRIMARY KEY,
    program_id   TEXT NOT NULL REFERENCES programs (id),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'paid', 'failed', 'cancelled')),
    skipped      TEXT NOT NULL DEFAULT '',
    proposed_at  BIGINT NOT NULL,
    approved_by  TEXT NOT NULL DEFAULT '',
    approved_at  BIGINT,
    completed_at BIGINT
);
CREATE UNIQUE INDEX payout_batches_open ON payout_batches (program_id) WHERE status = 'proposed';
CREATE INDEX payout_batches_program ON payout_batches (program_id, proposed_at);

-- Payout lines. The ID is the idempotency key providers see. A partner has
-- at most one proposed line per program and account family.
CREATE TABLE payouts (
    id              TEXT PRIMARY KEY,
    batch_id        TEXT NOT NULL REFERENCES payout_batches (id),
    program_id      TEXT NOT NULL REFERENCES programs (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    method_id       TEXT REFERENCES payout_methods (id),
    method_kind     TEXT NOT NULL,
    method_snapshot TEXT NOT NULL DEFAULT '',
    credit          BOOLEAN NOT NULL DEFAULT FALSE,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('proposed', 'held', 'cancelled', 'approved', 'sending', 'paid', 'failed')),
    external_ref    TEXT NOT NULL DEFAULT '',
    failure_reason  TEXT NOT NULL DEFAULT '',
    hold_reason     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    paid_at         BIGINT
);
CREATE UNIQUE INDEX payouts_one_proposed ON payouts (program_id, partner_id, credit) WHERE status = 'proposed';
CREATE INDEX payouts_batch ON payouts (batch_id, status);
CREATE INDEX payouts_partner ON payouts (partner_id, currency, status);

-- A commission's line: set when a line claims it (only while it is approved
-- and unclaimed), cleared when the line is removed or fails. payout_hold is
-- finance's reason to keep it out of batches.
ALTER TABLE commissions ADD COLUMN payout_id TEXT REFERENCES payouts (id);
ALTER TABLE commissions ADD COLUMN payout_hold TEXT NOT NULL DEFAULT '';
CREATE INDEX commissions_payout ON commissions (payout_id);
CREATE INDEX commissions_payable ON commissions (partner_id, status, currency);

-- +goose Down
DROP INDEX commissions_payable;
DROP INDEX commissions_payout;
ALTER TABLE commissions DROP COLUMN payout_hold;
ALTER TABLE commissions DROP COLUMN payout_id;
DROP TABLE payouts;
DROP TABLE payout_batches;
DROP TABLE partner_tax;
DROP TABLE payout_methods;
DROP TABLE payout_minimums;
DROP TABLE payout_settings;
