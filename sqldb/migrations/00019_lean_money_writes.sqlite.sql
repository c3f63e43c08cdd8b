-- +goose Up
-- Fewer index entries per recorded sale: every index is one more B-tree
-- insert per row on the conversions hot path. Dropped, as no query reads
-- them (and their parents, customers and commissions, are never deleted):
-- conversions by customer, postings by commission. Made partial, so that a
-- new commission or customer skips them: commissions by payout (a new one
-- is in no payout), payable commissions (queries ask for approved ones; a
-- new one is pending) and customers by email (looked up by a non-empty
-- email only; queries repeat email <> ''). The .postgres.sql file of this
-- version does the same.
DROP INDEX conversions_customer;
DROP INDEX ledger_postings_commission;
DROP INDEX commissions_payout;
CREATE INDEX commissions_payout ON commissions (payout_id) WHERE payout_id IS NOT NULL;
DROP INDEX commissions_payable;
CREATE INDEX commissions_payable ON commissions (partner_id, status, currency) WHERE status = 'approved';
DROP INDEX customers_email;
CREATE INDEX customers_email ON customers (program_id, email) WHERE email <> '';

-- Here the ledger's postings and lines also become WITHOUT ROWID tables:
-- a row lives in its primary key's B-tree, not in a rowid table beside it
-- (one B-tree insert fewer per posting and per line). Lines are copied
-- into a table referring to the new postings, the old tables dropped
-- (child first, so no foreign key breaks), and renaming the new postings
-- table renames the lines' reference with it.
CREATE TABLE ledger_postings_new (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_key    TEXT NOT NULL UNIQUE,
    commission_id TEXT REFERENCES commissions (id),
    memo          TEXT NOT NULL DEFAULT '',
    occurred_at   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO ledger_postings_new (id, kind, source_key, commission_id, memo, occurred_at, created_at)
SELECT id, kind, source_key, commission_id, memo, occurred_at, created_at FROM ledger_postings;
CREATE TABLE ledger_lines_new (
    posting_id   TEXT NOT NULL REFERENCES ledger_postings_new (id),
    line_no      INTEGER NOT NULL,
    partner_id   TEXT NOT NULL,
    account_type TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (posting_id, line_no)
) WITHOUT ROWID;
INSERT INTO ledger_lines_new (posting_id, line_no, partner_id, account_type, currency, amount)
SELECT posting_id, line_no, partner_id, account_type, currency, amount FROM ledger_lines;
DROP TABLE ledger_lines;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
ALTER TABLE ledger_lines_new RENAME TO ledger_lines;
CREATE INDEX ledger_lines_account ON ledger_lines (partner_id, currency, account_type);

-- +goose Down
CREATE TABLE ledger_postings_old (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_key    TEXT NOT NULL UNIQUE,
    commission_id TEXT REFERENCES commissions (id),
    memo          TEXT NOT NULL DEFAULT '',
    occurred_at   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
INSERT INTO ledger_postings_old (id, kind, source_key, commission_id, memo, occurred_at, created_at)
SELECT id, kind, source_key, commission_id, memo, occurred_at, created_at FROM ledger_postings;
CREATE TABLE ledger_lines_old (
    posting_id   TEXT NOT NULL REFERENCES ledger_postings_old (id),
    line_no      INTEGER NOT NULL,
    partner_id   TEXT NOT NULL,
    account_type TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (posting_id, line_no)
);
INSERT INTO ledger_lines_old (posting_id, line_no, partner_id, account_type, currency, amount)
SELECT posting_id, line_no, partner_id, account_type, currency, amount FROM ledger_lines;
DROP TABLE ledger_lines;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_old RENAME TO ledger_postings;
ALTER TABLE ledger_lines_old RENAME TO ledger_lines;
CREATE INDEX ledger_lines_account ON ledger_lines (partner_id, currency, account_type);
CREATE INDEX ledger_postings_commission ON ledger_postings (commission_id);
DROP INDEX customers_email;
CREATE INDEX customers_email ON customers (program_id, email);
DROP INDEX commissions_payable;
CREATE INDEX commissions_payable ON commissions (partner_id, status, currency);
DROP INDEX commissions_payout;
CREATE INDEX commissions_payout ON commissions (payout_id);
CREATE INDEX conversions_customer ON conversions (customer_id, occurred_at);
