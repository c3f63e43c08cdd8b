package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// PlanService stores commission plans and their versions.
type PlanService struct{ db *DB }

var _ tandem.PlanService = (*PlanService)(nil)

// NewPlanService returns the plans of db.
func NewPlanService(db *DB) *PlanService { return &PlanService{db: db} }

// CreatePlan stores a plan with its first version, in force from
// effectiveFrom (zero: now). A program's first plan becomes its default.
func (s *PlanService) CreatePlan(ctx context.Context, programID, name string, rules []tandem.Rule, effectiveFrom time.Time) (*tandem.Plan, error) {
	if err := tandem.RequireText("name", "Name", &name, 120); err != nil {
		return nil, err
	}
	if err := tandem.ValidateRules(rules); err != nil {
		return nil, err
	}
	p := &tandem.Plan{ID: tandem.NewID(tandem.PrefixPlan), ProgramID: programID, Name: name}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		p.CreatedAt = tx.now
		var defaultPlan *string
		err := tx.QueryRowContext(ctx, `SELECT default_plan_id FROM programs WHERE id = $1`, programID).Scan(&defaultPlan)
		if isNoRows(err) {
			return tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
		} else if err != nil {
			return fmt.Errorf("find program: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO commission_plans (id, program_id, name, created_at) VALUES ($1, $2, $3, $4)`,
			p.ID, programID, name, ms(tx.now)); isUniqueViolation(err) {
			return tandem.Invalidf("name", "The program already has a plan named %q.", name)
		} else if err != nil {
			return fmt.Errorf("insert plan: %w", err)
		}
		if defaultPlan == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE programs SET default_plan_id = $1 WHERE id = $2`, p.ID, programID); err != nil {
				return fmt.Errorf("set default plan: %w", err)
			}
		}
		if p.Current, err = tx.insertVersion(ctx, p.ID, 1, rules, effectiveFrom); err != nil {
			return err
		}
		return tx.audit(ctx, "plan.create", p.ID, map[string]any{"name": name, "program_id": programID})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PublishVersion adds a version to a plan, in force from effectiveFrom
// (zero: now). It cannot take effect in the past: what was earned under the
// previous version stays as it was.
func (s *PlanService) PublishVersion(ctx context.Context, planID string, rules []tandem.Rule, effectiveFrom time.Time) (*tandem.PlanVersion, error) {
	if err := tandem.ValidateRules(rules); err != nil {
		return nil, err
	}
	var v *tandem.PlanVersion
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if !effectiveFrom.IsZero() && effectiveFrom.Before(tx.now.Add(-time.Minute)) {
			return tandem.Invalidf("effective_from", "A new version takes effect now or later: what was earned is not rewritten.")
		}
		var last int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM plan_versions WHERE plan_id = $1`, planID).Scan(&last); err != nil {
			return fmt.Errorf("find plan version: %w", err)
		}
		if last == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Plan not found.")
		}
		var err error
		if v, err = tx.insertVersion(ctx, planID, last+1, rules, effectiveFrom); err != nil {
			return err
		}
		return tx.audit(ctx, "plan.publish", planID, map[string]any{"version": v.Version, "effective_from": v.EffectiveFrom})
	})
	return v, err
}

func (tx *Tx) insertVersion(ctx context.Context, planID string, version int, rules []tandem.Rule, effectiveFrom time.Time) (*tandem.PlanVersion, error) {
	if effectiveFrom.IsZero() {
		effectiveFrom = tx.now
	}
	v := &tandem.PlanVersion{ID: tandem.NewID(tandem.PrefixPlanVersion), PlanID: planID, Version: version,
		EffectiveFrom: effectiveFrom.UTC().Truncate(time.Millisecond), Rules: rules, CreatedAt: tx.now}
	doc, err := json.Marshal(rules)
	if err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO plan_versions (id, plan_id, version, effective_from, rules, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		v.ID, planID, version, ms(v.EffectiveFrom), string(doc), ms(tx.now)); isUniqueViolation(err) {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Another version of the plan was published at the same moment; try again.")
	} else if err != nil {
		return nil, fmt.Errorf("insert plan version: %w", err)
	}
	return v, nil
}

// Plans returns a program's plans with their current versions.
func (s *PlanService) Plans(ctx context.Context, programID string) ([]*tandem.Plan, error) {
	var out []*tandem.Plan
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at FROM commission_plans WHERE program_id = $1 ORDER BY created_at, id`, programID)
		if err != nil {
			return fmt.Errorf("list plans: %w", err)
		}
		for rows.Next() {
			p := &tandem.Plan{ProgramID: programID}
			if err := rows.Scan(&p.ID, &p.Name, timeCol(&p.CreatedAt)); err != nil {
				rows.Close()
				return fmt.Errorf("list plans: %w", err)
			}
			out = append(out, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range out {
			if p.Current, err = tx.versionAt(ctx, p.ID, tx.now); err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
				return err
			}
		}
		return nil
	})
	return out, err
}

// AssignPlan makes planID the plan of a partner group (groupID) or of one
// partner's membership (partnerID), overriding the program's default; an
// empty planID removes the override. Both given is an error.
func (s *PlanService) AssignPlan(ctx context.Context, programID, groupID, partnerID, planID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		var plan any
		if planID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM commission_plans WHERE id = $1 AND program_id = $2`, planID, programID).Scan(&n); err != nil {
				return fmt.Errorf("find plan: %w", err)
			}
			if n == 0 {
				return tandem.Invalidf("plan_id", "The program has no such plan.")
			}
			plan = planID
		}
		var res interface{ RowsAffected() (int64, error) }
		var err error
		switch {
		case groupID != "" && partnerID == "":
			res, err = tx.ExecContext(ctx, `UPDATE partner_groups SET plan_id = $1 WHERE id = $2 AND program_id = $3`, plan, groupID, programID)
		case partnerID != "" && groupID == "":
			res, err = tx.ExecContext(ctx, `UPDATE memberships SET plan_id = $1 WHERE partner_id = $2 AND program_id = $3`, plan, partnerID, programID)
		default:
			return tandem.Invalidf("group_id", "Assign a plan to a group or to a partner.")
		}
		if err != nil {
			return fmt.Errorf("assign plan: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("assign plan: %w", err)
		} else if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Group or partner not found in the program.")
		}
		return tx.audit(ctx, "plan.assign", programID, map[string]any{"plan_id": planID, "group_id": groupID, "partner_id": partnerID})
	})
}

// Assignments lists the program's groups and partners with a plan of
// their own.
func (s *PlanService) Assignments(ctx context.Context, programID string) ([]tandem.PlanAssignment, error) {
	var out []tandem.PlanAssignment
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT g.id, '', g.name, g.plan_id, 0 FROM partner_groups g WHERE g.program_id = $1 AND g.plan_id IS NOT NULL
			UNION ALL
			SELECT '', m.partner_id, p.name, m.plan_id, 1 FROM memberships m JOIN partners p ON p.id = m.partner_id
			WHERE m.program_id = $1 AND m.plan_id IS NOT NULL
			ORDER BY 5, 3`, programID)
		if err != nil {
			return fmt.Errorf("find plan assignments: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a tandem.PlanAssignment
			var kind int
			if err := rows.Scan(&a.GroupID, &a.PartnerID, &a.Name, &a.PlanID, &kind); err != nil {
				return fmt.Errorf("find plan assignments: %w", err)
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// PartnerPlan returns the plan a partner earns under now, with the version
// in force.
func (s *PlanService) PartnerPlan(ctx context.Context, programID, partnerID string) (*tandem.Plan, error) {
	var p *tandem.Plan
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		id, name, err := tx.partnerPlan(ctx, programID, partnerID)
		if err != nil {
			return err
		}
		if id == "" {
			return tandem.Errorf(tandem.ENOTFOUND, "The program has no commission plan.")
		}
		p = &tandem.Plan{ID: id, ProgramID: programID, Name: name}
		p.Current, err = tx.versionAt(ctx, id, tx.now)
		return err
	})
	return p, err
}

// partnerPlan returns the plan a partner earns under in a program: the
// membership's own plan, else its group's, else the program's default; ""
// when there is none.
func (tx *Tx) partnerPlan(ctx context.Context, programID, partnerID string) (id, name string, err error) {
	err = tx.QueryRowContext(ctx, `
		SELECT cp.id, cp.name FROM programs p
		LEFT JOIN memberships m ON m.program_id = p.id AND m.partner_id = $2
		LEFT JOIN partner_groups g ON g.id = m.group_id
		JOIN commission_plans cp ON cp.id = COALESCE(m.plan_id, g.plan_id, p.default_plan_id)
		WHERE p.id = $1`, programID, partnerID).Scan(&id, &name)
	if isNoRows(err) {
		return "", "", nil
	} else if err != nil {
		return "", "", fmt.Errorf("find partner plan: %w", err)
	}
	return id, name, nil
}

// versionAt returns the plan's version in force at the given moment: the
// latest effective at or before it.
func (tx *Tx) versionAt(ctx context.Context, planID string, at time.Time) (*tandem.PlanVersion, error) {
	var id string
	err := tx.QueryRowContext(ctx, `
		SELECT id FROM plan_versions WHERE plan_id = $1 AND effective_from <= $2
		ORDER BY effective_from DESC, version DESC LIMIT 1`, planID, ms(at)).Scan(&id)
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "No version of the plan was in force then.")
	} else if err != nil {
		return nil, fmt.Errorf("find plan version: %w", err)
	}
	return tx.planVersion(ctx, id)
}

// planVersion returns a plan version by ID, read once per process: versions
// are immutable.
func (tx *Tx) planVersion(ctx context.Context, id string) (*tandem.PlanVersion, error) {
	if v, ok := tx.db.versions.Load(id); ok {
		return v.(*tandem.PlanVersion), nil
	}
	v := &tandem.PlanVersion{ID: id}
	var doc string
	if err := tx.QueryRowContext(ctx, `SELECT plan_id, version, effective_from, rules, created_at FROM plan_versions WHERE id = $1`, id).
		Scan(&v.PlanID, &v.Version, timeCol(&v.EffectiveFrom), &doc, timeCol(&v.CreatedAt)); err != nil {
		return nil, fmt.Errorf("read plan version: %w", err)
	}
	if err := json.Unmarshal([]byte(doc), &v.Rules); err != nil {
		return nil, fmt.Errorf("decode plan version %s: %w", id, err)
	}
	tx.db.versions.Store(id, v)
	return v, nil
}
