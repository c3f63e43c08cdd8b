package sqldb

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// ProgramService stores programs.
type ProgramService struct{ db *DB }

var _ tandem.ProgramService = (*ProgramService)(nil)

// NewProgramService returns the programs of db.
func NewProgramService(db *DB) *ProgramService { return &ProgramService{db: db} }

// FindProgramByID returns the program with the ID, or ENOTFOUND.
func (s *ProgramService) FindProgramByID(ctx context.Context, id string) (*tandem.Program, error) {
	var p *tandem.Program
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		p, err = findProgramByID(ctx, tx, id)
		return err
	})
	return p, err
}

// FindPrograms returns the programs matching the filter, oldest first.
func (s *ProgramService) FindPrograms(ctx context.Context, filter tandem.ProgramFilter) ([]*tandem.Program, error) {
	var ps []*tandem.Program
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		ps, err = findPrograms(ctx, tx, filter)
		return err
	})
	return ps, err
}

// CreateProgram validates and stores a new program, and audits it.
func (s *ProgramService) CreateProgram(ctx context.Context, p *tandem.Program) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		p.ID = tandem.NewID(tandem.PrefixProgram)
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		_, err := tx.ExecContext(ctx, `
			INSERT INTO programs (id, slug, name, type, currency, time_zone, cookie_days,
				attribution, auto_approve, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			p.ID, p.Slug, p.Name, p.Type, p.Currency, p.TimeZone, p.CookieDays,
			p.Attribution, p.AutoApprove, p.Status, ms(p.CreatedAt), ms(p.UpdatedAt))
		if isUniqueViolation(err) {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "slug", Message: fmt.Sprintf("A program with the slug %q already exists.", p.Slug)}
		} else if err != nil {
			return fmt.Errorf("insert program: %w", err)
		}
		return tx.audit(ctx, "program.create", p.ID, p)
	})
}

func findProgramByID(ctx context.Context, tx *Tx, id string) (*tandem.Program, error) {
	ps, err := findPrograms(ctx, tx, tandem.ProgramFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
	}
	return ps[0], nil
}

func findPrograms(ctx context.Context, tx *Tx, filter tandem.ProgramFilter) ([]*tandem.Program, error) {
	var w where
	w.eq("id", filter.ID)
	w.eq("slug", filter.Slug)
	w.eq("status", string(filter.Status))
	rows, err := tx.QueryContext(ctx, `
		SELECT id, slug, name, type, currency, time_zone, cookie_days, attribution,
			auto_approve, status, created_at, updated_at
		FROM programs `+w.String()+`
		ORDER BY created_at, id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find programs: %w", err)
	}
	defer rows.Close()
	var ps []*tandem.Program
	for rows.Next() {
		var p tandem.Program
		if err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.Type, &p.Currency, &p.TimeZone, &p.CookieDays,
			&p.Attribution, &p.AutoApprove, &p.Status, timeCol(&p.CreatedAt), timeCol(&p.UpdatedAt)); err != nil {
			return nil, err
		}
		ps = append(ps, &p)
	}
	return ps, rows.Err()
}
