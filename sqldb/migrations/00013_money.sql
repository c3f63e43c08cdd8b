-- +goose Up
-- Customers, conversions, commission plans, commissions and the ledger.

-- Coupon codes mapped to partners: a conversion naming one is attributed to
-- its partner. Codes are stored upper case, unique per program.
CREATE TABLE coupons (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    code        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    archived_at BIGINT,
    UNIQUE (program_id, code)
);

-- Buyers of the merchant. external_id is the merchant's customer ID, or
-- "email:" and the email when only an email was given. partner_id, once set,
-- is the lifetime lock: ingestion never changes it.
CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    program_id         TEXT NOT NULL REFERENCES programs (id),
    external_id        TEXT NOT NULL,
    email              TEXT NOT NULL DEFAULT '',
    partner_id         TEXT REFERENCES partners (id),
    attribution        TEXT NOT NULL DEFAULT '',
    attributed_at      BIGINT,
    first_sale_at      BIGINT,
    cancelled_at       BIGINT,
    created_at         BIGINT NOT NULL,
    UNIQUE (program_id, external_id)
);
CREATE INDEX customers_email ON customers (program_id, email);
CREATE INDEX customers_partner ON customers (partner_id, first_sale_at);

-- Commission plans and their immutable versions; rules are a JSON document
-- validated by tandem.ValidateRules.
CREATE TABLE commission_plans (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (program_id, name)
);
CREATE TABLE plan_versions (
    id             TEXT PRIMARY KEY,
    plan_id        TEXT NOT NULL REFERENCES commission_plans (id),
    version        INTEGER NOT NULL,
    effective_from BIGINT NOT NULL,
    rules          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (plan_id, version)
);
CREATE INDEX plan_versions_effective ON plan_versions (plan_id, effective_from);
ALTER TABLE programs ADD COLUMN default_plan_id TEXT REFERENCES commission_plans (id);
ALTER TABLE partner_groups ADD COLUMN plan_id TEXT REFERENCES commission_plans (id);
ALTER TABLE memberships ADD COLUMN plan_id TEXT REFERENCES commission_plans (id);

-- Conversions, immutable. event_id is the merchant's event ID, unique per
-- program: it is what makes reporting an event idempotent. request_hash is
-- the SHA-256 of the canonical request, to tell a retry from a different
-- event reusing an ID.
CREATE TABLE conversions (
    id                      TEXT PRIMARY KEY,
    program_id              TEXT NOT NULL REFERENCES programs (id),
    kind                    TEXT NOT NULL CHECK (kind IN ('lead_qualified', 'sale', 'renewal', 'refund', 'cancellation')),
    source                  TEXT NOT NULL,
    event_id                TEXT NOT NULL,
    request_hash            TEXT NOT NULL,
    occurred_at             BIGINT NOT NULL,
    received_at             BIGINT NOT NULL,
    amount                  BIGINT NOT NULL,
    currency                TEXT NOT NULL,
    customer_id             TEXT REFERENCES customers (id),
    partner_id              TEXT REFERENCES partners (id),
    parent_id               TEXT REFERENCES conversions (id),
    click_id                TEXT NOT NULL DEFAULT '',
    coupon                  TEXT NOT NULL DEFAULT '',
    referral_id             TEXT NOT NULL DEFAULT '',
    product                 TEXT NOT NULL DEFAULT '',
    metadata                TEXT NOT NULL DEFAULT '',
    attribution             TEXT NOT NULL,
    attribution_explanation TEXT NOT NULL,
    no_commission_reason    TEXT NOT NULL DEFAULT '',
    refunded                BIGINT NOT NULL DEFAULT 0,
    UNIQUE (program_id, event_id)
);
CREATE INDEX conversions_program ON conversions (program_id, received_at, id);
CREATE INDEX conversions_partner ON conversions (partner_id, occurred_at);
CREATE INDEX conversions_customer ON conversions (customer_id, occurred_at);

-- Idempotency-Key headers of conversion requests: the same key with the same
-- body answers the same conversion; with another body it is refused.
CREATE TABLE idempotency_keys (
    key           TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    conversion_id TEXT NOT NULL REFERENCES conversions (id),
    created_at    BIGINT NOT NULL
);

-- Commissions. (conversion_id, rule_key) is unique, so judging an event
-- twice never earns twice; a milestone bonus is earned once per partner and
-- rule.
CREATE TABLE commissions (
    id              TEXT PRIMARY KEY,
    program_id      TEXT NOT NULL REFERENCES programs (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    conversion_id   TEXT NOT NULL REFERENCES conversions (id),
    customer_id     TEXT REFERENCES customers (id),
    plan_version_id TEXT NOT NULL REFERENCES plan_versions (id),
    rule_key        TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('base', 'bonus', 'milestone')),
    reward_kind     TEXT NOT NULL CHECK (reward_kind IN ('cash', 'credit', 'gift')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    reversed_amount BIGINT NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0 AND reversed_amount <= amount),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'in_payout', 'paid', 'rejected', 'reversed')),
    blocked_by      TEXT NOT NULL DEFAULT '',
    manual_review   BOOLEAN NOT NULL DEFAULT FALSE,
    explanation     TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    hold_until      BIGINT NOT NULL,
    approved_at     BIGINT,
    approved_by     TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    paid_at         BIGINT,
    created_at      BIGINT NOT NULL,
    UNIQUE (conversion_id, rule_key)
);
CREATE UNIQUE INDEX commissions_milestone ON commissions (program_id, partner_id, rule_key) WHERE kind = 'milestone';
CREATE INDEX commissions_partner ON commissions (partner_id, created_at, id);
CREATE INDEX commissions_program ON commissions (program_id, created_at, id);
CREATE INDEX commissions_due ON commissions (status, hold_until);

-- The double-entry ledger. Postings and their lines are never updated nor
-- deleted; source_key makes each posting happen once. partner_id is '' on
-- the business's accounts.
CREATE TABLE ledger_postings (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_key    TEXT NOT NULL UNIQUE,
    commission_id TEXT REFERENCES commissions (id),
    memo          TEXT NOT NULL DEFAULT '',
    occurred_at   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX ledger_postings_commission ON ledger_postings (commission_id);
CREATE TABLE ledger_lines (
    posting_id   TEXT NOT NULL REFERENCES ledger_postings (id),
    line_no      INTEGER NOT NULL,
    partner_id   TEXT NOT NULL,
    account_type TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (posting_id, line_no)
);
CREATE INDEX ledger_lines_account ON ledger_lines (partner_id, currency, account_type);
-- Balances kept in the transaction of each posting; always equal to the sum
-- of the account's lines (VerifyLedger checks it).
CREATE TABLE ledger_balances (
    partner_id   TEXT NOT NULL,
    account_type TEXT NOT NULL,
    currency     TEXT NOT NULL,
    balance      BIGINT NOT NULL,
    PRIMARY KEY (partner_id, account_type, currency)
);

-- +goose Down
DROP TABLE ledger_balances;
DROP TABLE ledger_lines;
DROP TABLE ledger_postings;
DROP TABLE commissions;
DROP TABLE idempotency_keys;
DROP TABLE conversions;
ALTER TABLE memberships DROP COLUMN plan_id;
ALTER TABLE partner_groups DROP COLUMN plan_id;
ALTER TABLE programs DROP COLUMN default_plan_id;
DROP TABLE plan_versions;
DROP TABLE commission_plans;
DROP TABLE customers;
DROP TABLE coupons;
