package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
			INSERT INTO programs (id, slug, name, type, currency, time_zone, cookie_days, attribution, auto_approve, status,
				destination_url, allowed_domains, invites_skip_review, headline, value_props, ideal_partner, click_param, ref_params,
				created_at, updated_at, protection_days)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
			p.ID, p.Slug, p.Name, p.Type, p.Currency, p.TimeZone, p.CookieDays, p.Attribution, p.AutoApprove, p.Status,
			p.DestinationURL, strings.Join(p.AllowedDomains, " "), p.InvitesSkipReview, p.Headline, p.ValueProps, p.IdealPartner,
			p.ClickParam, strings.Join(p.RefParams, " "), ms(p.CreatedAt), ms(p.UpdatedAt), p.ProtectionDays)
		if isUniqueViolation(err) {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "slug", Message: fmt.Sprintf("A program with the slug %q already exists.", p.Slug)}
		} else if err != nil {
			return fmt.Errorf("insert program: %w", err)
		}
		return tx.audit(ctx, "program.create", p.ID, p)
	})
}

// UpdateProgram stores a program's new settings and audits what changed.
func (s *ProgramService) UpdateProgram(ctx context.Context, p *tandem.Program) error {
	if err := p.Validate(); err != nil {
		return err
	}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		old, err := findProgramByID(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = old.CreatedAt, tx.now
		_, err = tx.ExecContext(ctx, `
			UPDATE programs SET slug = $1, name = $2, type = $3, currency = $4, time_zone = $5, cookie_days = $6,
				attribution = $7, auto_approve = $8, status = $9, destination_url = $10, allowed_domains = $11,
				invites_skip_review = $12, headline = $13, value_props = $14, ideal_partner = $15, click_param = $16,
				ref_params = $17, updated_at = $18, protection_days = $20
			WHERE id = $19`,
			p.Slug, p.Name, p.Type, p.Currency, p.TimeZone, p.CookieDays, p.Attribution, p.AutoApprove, p.Status,
			p.DestinationURL, strings.Join(p.AllowedDomains, " "), p.InvitesSkipReview, p.Headline, p.ValueProps, p.IdealPartner,
			p.ClickParam, strings.Join(p.RefParams, " "), ms(p.UpdatedAt), p.ID, p.ProtectionDays)
		if isUniqueViolation(err) {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "slug", Message: fmt.Sprintf("A program with the slug %q already exists.", p.Slug)}
		} else if err != nil {
			return fmt.Errorf("update program: %w", err)
		}
		return tx.audit(ctx, "program.update", p.ID, changes(old, p))
	})
	if err == nil {
		s.db.redirects.forget() // its links follow the new destination now
	}
	return err
}

// changes lists the JSON fields that differ between two versions of an
// entity, as {"field": {"from": …, "to": …}}, for the audit log.
func changes(before, after any) map[string]map[string]any {
	var a, b map[string]any
	ab, _ := json.Marshal(before)
	bb, _ := json.Marshal(after)
	_ = json.Unmarshal(ab, &a)
	_ = json.Unmarshal(bb, &b)
	out := map[string]map[string]any{}
	for k, v := range b {
		if k == "updated_at" {
			continue
		}
		if fmt.Sprint(a[k]) != fmt.Sprint(v) {
			out[k] = map[string]any{"from": a[k], "to": v}
		}
	}
	return out
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
	w.eq("type", string(filter.Type))
	if err := w.after(filter.After, "created_at", "id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, slug, name, type, currency, time_zone, cookie_days, attribution, auto_approve, status,
			destination_url, allowed_domains, invites_skip_review, headline, value_props, ideal_partner, click_param, ref_params,
			created_at, updated_at, protection_days
		FROM programs `+w.String()+`
		ORDER BY created_at, id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find programs: %w", err)
	}
	defer rows.Close()
	var ps []*tandem.Program
	for rows.Next() {
		var p tandem.Program
		var domains, refs string
		if err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.Type, &p.Currency, &p.TimeZone, &p.CookieDays, &p.Attribution, &p.AutoApprove, &p.Status,
			&p.DestinationURL, &domains, &p.InvitesSkipReview, &p.Headline, &p.ValueProps, &p.IdealPartner, &p.ClickParam, &refs,
			timeCol(&p.CreatedAt), timeCol(&p.UpdatedAt), &p.ProtectionDays); err != nil {
			return nil, err
		}
		p.AllowedDomains, p.RefParams = strings.Fields(domains), strings.Fields(refs)
		ps = append(ps, &p)
	}
	return ps, rows.Err()
}

// after adds the keyset condition of a page that starts after key, the sort
// key of the previous page's last row in the form the filters' After fields
// document: an integer for each column but the last, then the ID, joined by
// ":" ("1718000000000:prg_…"). The columns are the list's ORDER BY, ID last.
// A malformed key is EINVALID on the field "cursor".
func (w *where) after(key string, columns ...string) error {
	if key == "" {
		return nil
	}
	parts := strings.SplitN(key, ":", len(columns))
	if len(parts) != len(columns) || parts[len(parts)-1] == "" {
		return tandem.Invalidf("cursor", "This cursor does not belong to this list; start again without one.")
	}
	marks := make([]string, len(parts))
	for i, part := range parts {
		var arg any = part
		if i < len(parts)-1 {
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return tandem.Invalidf("cursor", "This cursor does not belong to this list; start again without one.")
			}
			arg = n
		}
		w.args = append(w.args, arg)
		marks[i] = fmt.Sprintf("$%d", len(w.args))
	}
	w.conds = append(w.conds, fmt.Sprintf("(%s) > (%s)", strings.Join(columns, ", "), strings.Join(marks, ", ")))
	return nil
}
