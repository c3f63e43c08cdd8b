-- +goose Up
-- Tracking settings of a program: the query parameter /r/{code} appends the
-- click ID as, and the parameters (space-separated) the tracking snippet
-- reads a link code from on direct links.
ALTER TABLE programs ADD COLUMN click_param TEXT NOT NULL DEFAULT 'tandem_click';
ALTER TABLE programs ADD COLUMN ref_params TEXT NOT NULL DEFAULT 'ref via fp_ref';

-- +goose Down
ALTER TABLE programs DROP COLUMN ref_params;
ALTER TABLE programs DROP COLUMN click_param;
