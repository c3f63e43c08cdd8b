-- +goose Up
-- The lead_qualified conversions of a referral, looked up to pay its lead fee
-- once whichever way it is qualified (an event naming it, or a manager
-- moving it). Partial: most conversions name no referral, so the sales the
-- hot path inserts do not touch it; queries repeat referral_id <> ''.
CREATE INDEX conversions_referral ON conversions (program_id, referral_id) WHERE referral_id <> '';

-- +goose Down
DROP INDEX conversions_referral;
