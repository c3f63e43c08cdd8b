package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tandem-prm/tandem"
)

// PartnerService stores partners and their memberships in programs.
type PartnerService struct{ db *DB }

var _ tandem.PartnerService = (*PartnerService)(nil)

// NewPartnerService returns the partners of db.
func NewPartnerService(db *DB) *PartnerService { return &PartnerService{db: db} }

// FindPartnerByID returns the partner with the ID, or ENOTFOUND.
func (s *PartnerService) FindPartnerByID(ctx context.Context, id string) (*tandem.Partner, error) {
	var p *tandem.Partner
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		p, err = findPartnerByID(ctx, tx, id)
		return err
	})
	return p, err
}

// FindPartners returns the partners matching the filter, oldest first.
func (s *PartnerService) FindPartners(ctx context.Context, filter tandem.PartnerFilter) ([]*tandem.Partner, error) {
	var ps []*tandem.Partner
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		ps, err = findPartners(ctx, tx, filter)
		return err
	})
	return ps, err
}

// CreatePartner validates and stores a new partner, and audits it.
func (s *PartnerService) CreatePartner(ctx context.Context, p *tandem.Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		return tx.insertPartner(ctx, p)
	})
}

func (tx *Tx) insertPartner(ctx context.Context, p *tandem.Partner) error {
	p.ID = tandem.NewID(tandem.PrefixPartner)
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	_, err := tx.ExecContext(ctx, `
		INSERT INTO partners (id, name, email, kind, type, company, website, social_links, audience, tags, source, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		p.ID, p.Name, p.Email, p.Kind, p.Type, p.Company, p.Website, strings.Join(p.SocialLinks, "\n"), p.Audience,
		strings.Join(p.Tags, "\n"), p.Source, ms(p.CreatedAt), ms(p.UpdatedAt))
	if isUniqueViolation(err) {
		return &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "A partner with this email already exists."}
	} else if err != nil {
		return fmt.Errorf("insert partner: %w", err)
	}
	return tx.audit(ctx, "partner.create", p.ID, p)
}

// JoinProgram adds the partner to the program: pending, or approved at once
// when the program auto-approves.
func (s *PartnerService) JoinProgram(ctx context.Context, programID, partnerID string) (*tandem.Membership, error) {
	var m *tandem.Membership
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		program, err := findProgramByID(ctx, tx, programID)
		if err != nil {
			return err
		}
		if program.Status != tandem.ProgramActive {
			return tandem.Invalidf("program_id", "Program %q is archived and takes no new partners.", program.Name)
		}
		if _, err := findPartnerByID(ctx, tx, partnerID); err != nil {
			return err
		}
		status := program.NewMemberStatus()
		if m, err = tx.insertMembership(ctx, programID, partnerID, status, nil, nil); err != nil || status != tandem.MembershipApproved {
			return err
		}
		return tx.grantDefaultLink(ctx, partnerID, programID)
	})
	return m, err
}

// SetMembershipStatus moves a membership to a new status under the status rules.
func (s *PartnerService) SetMembershipStatus(ctx context.Context, id string, to tandem.MembershipStatus, reason string) (*tandem.Membership, error) {
	reason = strings.TrimSpace(reason)
	if (to == tandem.MembershipRejected || to == tandem.MembershipSuspended) && reason == "" {
		return nil, tandem.Invalidf("reason", "A reason is required to reject or suspend a partner.")
	}
	if len(reason) > 2000 {
		return nil, tandem.Invalidf("reason", "Reason must be at most 2000 characters.")
	}
	var m *tandem.Membership
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		found, err := findMemberships(ctx, tx, tandem.MembershipFilter{ID: id, Limit: 1})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Membership not found.")
		}
		m = found[0]
		if !m.Status.CanMoveTo(to) {
			return tandem.Invalidf("status", "A %s partner cannot become %s.", m.Status, to)
		}
		from := m.Status
		m.Status, m.Reason = to, reason
		if err := tx.updateMembership(ctx, m, from); err != nil {
			return err
		}
		if err := tx.audit(ctx, "membership.status", m.ID, map[string]string{"from": string(from), "to": string(to), "reason": reason}); err != nil || to != tandem.MembershipApproved {
			return err
		}
		return tx.grantDefaultLink(ctx, m.PartnerID, m.ProgramID)
	})
	return m, err
}

// SetPartnerTags replaces a partner's tags and audits the change.
func (s *PartnerService) SetPartnerTags(ctx context.Context, id string, tags []string) (*tandem.Partner, error) {
	tags, err := tandem.NormalizeTags(tags)
	if err != nil {
		return nil, err
	}
	var p *tandem.Partner
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		if p, err = findPartnerByID(ctx, tx, id); err != nil {
			return err
		}
		old := p.Tags
		p.Tags, p.UpdatedAt = tags, tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE partners SET tags = $1, updated_at = $2 WHERE id = $3`, strings.Join(tags, "\n"), ms(tx.now), id); err != nil {
			return fmt.Errorf("update tags: %w", err)
		}
		return tx.audit(ctx, "partner.tags", id, map[string]any{"from": old, "to": tags})
	})
	return p, err
}

// FindMemberships returns the memberships matching the filter, oldest first.
func (s *PartnerService) FindMemberships(ctx context.Context, filter tandem.MembershipFilter) ([]*tandem.Membership, error) {
	var out []*tandem.Membership
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = findMemberships(ctx, tx, filter)
		return err
	})
	return out, err
}

func findPartnerByID(ctx context.Context, tx *Tx, id string) (*tandem.Partner, error) {
	ps, err := findPartners(ctx, tx, tandem.PartnerFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Partner not found.")
	}
	return ps[0], nil
}

func findPartners(ctx context.Context, tx *Tx, filter tandem.PartnerFilter) ([]*tandem.Partner, error) {
	var w where
	w.eq("id", filter.ID)
	w.eq("email", strings.ToLower(strings.TrimSpace(filter.Email)))
	if err := w.after(filter.After, "created_at", "id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, name, email, kind, type, company, website, social_links, audience, tags, source, created_at, updated_at
		FROM partners `+w.String()+`
		ORDER BY created_at, id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find partners: %w", err)
	}
	defer rows.Close()
	var ps []*tandem.Partner
	for rows.Next() {
		var p tandem.Partner
		var links, tags string
		if err := rows.Scan(&p.ID, &p.Name, &p.Email, &p.Kind, &p.Type, &p.Company, &p.Website, &links, &p.Audience, &tags, &p.Source,
			timeCol(&p.CreatedAt), timeCol(&p.UpdatedAt)); err != nil {
			return nil, err
		}
		p.SocialLinks, p.Tags = splitLines(links), splitLines(tags)
		ps = append(ps, &p)
	}
	return ps, rows.Err()
}

func findMemberships(ctx context.Context, tx *Tx, filter tandem.MembershipFilter) ([]*tandem.Membership, error) {
	var w where
	w.eq("id", filter.ID)
	w.eq("program_id", filter.ProgramID)
	w.eq("partner_id", filter.PartnerID)
	w.eq("status", string(filter.Status))
	if err := w.after(filter.After, "created_at", "id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, program_id, partner_id, status, reason, COALESCE(group_id, ''), answers, flags, created_at, updated_at
		FROM memberships `+w.String()+`
		ORDER BY created_at, id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find memberships: %w", err)
	}
	defer rows.Close()
	var out []*tandem.Membership
	for rows.Next() {
		var m tandem.Membership
		var answers, flags string
		if err := rows.Scan(&m.ID, &m.ProgramID, &m.PartnerID, &m.Status, &m.Reason, &m.GroupID, &answers, &flags,
			timeCol(&m.CreatedAt), timeCol(&m.UpdatedAt)); err != nil {
			return nil, err
		}
		if answers != "" {
			if err := json.Unmarshal([]byte(answers), &m.Answers); err != nil {
				return nil, fmt.Errorf("membership %s answers: %w", m.ID, err)
			}
		}
		m.Flags = strings.Fields(flags)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// splitLines splits newline-separated stored text into its non-empty lines.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
