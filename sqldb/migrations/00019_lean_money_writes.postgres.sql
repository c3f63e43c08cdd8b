-- +goose Up
-- Fewer index entries per recorded sale: every index is one more B-tree
-- insert per row on the conversions hot path. Dropped, as no query reads
-- them (and their parents, customers and commissions, are never deleted):
-- conversions by customer, postings by commission. Made partial, so that a
-- new commission or customer skips them: commissions by payout (a new one
-- is in no payout), payable commissions (queries ask for approved ones; a
-- new one is pending) and customers by email (looked up by a non-empty
-- email only; queries repeat email <> ''). The .sqlite.sql file of this
-- version also makes the ledger tables WITHOUT ROWID.
DROP INDEX conversions_customer;
DROP INDEX ledger_postings_commission;
DROP INDEX commissions_payout;
CREATE INDEX commissions_payout ON commissions (payout_id) WHERE payout_id IS NOT NULL;
DROP INDEX commissions_payable;
CREATE INDEX commissions_payable ON commissions (partner_id, status, currency) WHERE status = 'approved';
DROP INDEX customers_email;
CREATE INDEX customers_email ON customers (program_id, email) WHERE email <> '';

-- +goose Down
DROP INDEX customers_email;
CREATE INDEX customers_email ON customers (program_id, email);
DROP INDEX commissions_payable;
CREATE INDEX commissions_payable ON commissions (partner_id, status, currency);
DROP INDEX commissions_payout;
CREATE INDEX commissions_payout ON commissions (payout_id);
CREATE INDEX ledger_postings_commission ON ledger_postings (commission_id);
CREATE INDEX conversions_customer ON conversions (customer_id, occurred_at);
