package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

// OnboardingService stores programs' own checklist steps, the partners'
// ticks, and partners' profile changes.
type OnboardingService struct{ db *DB }

var _ tandem.OnboardingService = (*OnboardingService)(nil)

// NewOnboardingService returns the onboarding of db.
func NewOnboardingService(db *DB) *OnboardingService { return &OnboardingService{db: db} }

// AddCustomStep appends a step to a program's checklist.
func (s *OnboardingService) AddCustomStep(ctx context.Context, step *tandem.CustomStep) error {
	if err := step.Validate(); err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := findProgramByID(ctx, tx, step.ProgramID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM onboarding_steps WHERE program_id = $1`, step.ProgramID).Scan(&step.Position); err != nil {
			return err
		}
		step.ID, step.CreatedAt = tandem.NewID(tandem.PrefixStep), tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO onboarding_steps (id, program_id, title, description, position, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			step.ID, step.ProgramID, step.Title, step.Description, step.Position, ms(step.CreatedAt)); err != nil {
			return fmt.Errorf("insert onboarding step: %w", err)
		}
		return tx.audit(ctx, "onboarding_step.create", step.ID, step)
	})
}

// ArchiveCustomStep takes a step off the checklist.
func (s *OnboardingService) ArchiveCustomStep(ctx context.Context, programID, stepID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE onboarding_steps SET archived_at = $1 WHERE id = $2 AND program_id = $3 AND archived_at IS NULL`, ms(tx.now), stepID, programID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Step not found.")
		}
		return tx.audit(ctx, "onboarding_step.archive", stepID, nil)
	})
}

// FindCustomSteps returns a program's live steps in order.
func (s *OnboardingService) FindCustomSteps(ctx context.Context, programID string) ([]*tandem.CustomStep, error) {
	var steps []*tandem.CustomStep
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, program_id, title, description, position, created_at FROM onboarding_steps
			WHERE program_id = $1 AND archived_at IS NULL ORDER BY position`, programID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st tandem.CustomStep
			if err := rows.Scan(&st.ID, &st.ProgramID, &st.Title, &st.Description, &st.Position, timeCol(&st.CreatedAt)); err != nil {
				return err
			}
			steps = append(steps, &st)
		}
		return rows.Err()
	})
	return steps, err
}

// CompleteCustomStep records that a member of the program did one of its steps.
func (s *OnboardingService) CompleteCustomStep(ctx context.Context, partnerID, programID, stepID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM onboarding_steps st JOIN memberships m ON m.program_id = st.program_id
			WHERE st.id = $1 AND st.program_id = $2 AND st.archived_at IS NULL AND m.partner_id = $3 AND m.status = 'approved'`,
			stepID, programID, partnerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Step not found.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO onboarding_done (step_id, partner_id, done_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			stepID, partnerID, ms(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // done before: the first time stands
		}
		return tx.audit(ctx, "onboarding_step.done", stepID, map[string]string{"partner_id": partnerID})
	})
}

// CustomStepsDone returns when the partner ticked each of the program's steps.
func (s *OnboardingService) CustomStepsDone(ctx context.Context, partnerID, programID string) (map[string]time.Time, error) {
	var done map[string]time.Time
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		done, err = queryTimes(ctx, tx, `SELECT d.step_id, d.done_at FROM onboarding_done d JOIN onboarding_steps st ON st.id = d.step_id
			WHERE d.partner_id = $1 AND st.program_id = $2`, partnerID, programID)
		return err
	})
	return done, err
}

// UpdateProfile changes a partner's own profile and audits what changed.
func (s *OnboardingService) UpdateProfile(ctx context.Context, partnerID string, u tandem.ProfileUpdate) (*tandem.Partner, error) {
	var p *tandem.Partner
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		old, err := findPartnerByID(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		next := *old
		next.Name, next.Company, next.Website, next.SocialLinks, next.Audience = u.Name, u.Company, u.Website, u.SocialLinks, u.Audience
		if err := next.Validate(); err != nil {
			return err
		}
		next.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE partners SET name = $1, company = $2, website = $3, social_links = $4, audience = $5, updated_at = $6 WHERE id = $7`,
			next.Name, next.Company, next.Website, strings.Join(next.SocialLinks, "\n"), next.Audience, ms(tx.now), partnerID); err != nil {
			return fmt.Errorf("update partner profile: %w", err)
		}
		p = &next
		return tx.audit(ctx, "partner.profile", partnerID, changes(old, &next))
	})
	return p, err
}
