package sqldb

import (
	"context"
	"fmt"
	"slices"

	"github.com/tandem-prm/tandem"
)

// LinkService stores partners' referral links.
type LinkService struct{ db *DB }

var _ tandem.LinkService = (*LinkService)(nil)

// NewLinkService returns the links of db.
func NewLinkService(db *DB) *LinkService { return &LinkService{db: db} }

// codeAttempts is how many random codes a create draws before giving up:
// with 62^8 codes a single collision is already unlikely.
const codeAttempts = 8

// CreateLink checks that the partner may create links in the program and
// stores a new link, with a random code unless a vanity one is asked for.
func (s *LinkService) CreateLink(ctx context.Context, partnerID, programID string, in tandem.LinkInput) (*tandem.Link, error) {
	var l *tandem.Link
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		program, err := tx.linkProgram(ctx, partnerID, programID)
		if err != nil {
			return err
		}
		if l, err = tandem.NewLink(program, in); err != nil {
			return err
		}
		l.PartnerID = partnerID
		return tx.insertLink(ctx, l)
	})
	return l, err
}

// EnsureDefaultLink returns the partner's default link in the program,
// creating it if it does not exist yet. Approvals and acceptances make it
// already (grantDefaultLink); this is the fallback for memberships approved
// before that, and for pages that must show it.
func (s *LinkService) EnsureDefaultLink(ctx context.Context, partnerID, programID string) (*tandem.Link, error) {
	var l *tandem.Link
	err := s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		l, err = tx.ensureDefaultLink(ctx, partnerID, programID)
		return err
	})
	return l, err
}

// ensureDefaultLink returns the partner's default link in the program,
// creating it under CreateLink's rules (linkProgram) if it does not exist.
func (tx *Tx) ensureDefaultLink(ctx context.Context, partnerID, programID string) (*tandem.Link, error) {
	found, err := tx.defaultLink(ctx, partnerID, programID)
	if err != nil || found != nil {
		return found, err
	}
	program, err := tx.linkProgram(ctx, partnerID, programID)
	if err != nil {
		return nil, err
	}
	l, err := tandem.NewLink(program, tandem.LinkInput{Channel: tandem.ChannelCustom, Label: "Default"})
	if err != nil {
		return nil, err
	}
	l.PartnerID, l.IsDefault = partnerID, true
	err = tx.insertLink(ctx, l)
	if tandem.ErrorCode(err) == tandem.ECONFLICT { // made at the same moment by another request
		if found, ferr := tx.defaultLink(ctx, partnerID, programID); ferr == nil && found != nil {
			return found, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// grantDefaultLink gives the partner its default link in the program, in
// the transaction that approves the membership or accepts the agreement, so
// that an approved partner who may create links always has one. When links
// may not be created yet (the current agreement is not accepted, or the
// program is archived) it does nothing: accepting the agreement grants it
// then, and the portal's links page makes it as a fallback.
func (tx *Tx) grantDefaultLink(ctx context.Context, partnerID, programID string) error {
	_, err := tx.ensureDefaultLink(ctx, partnerID, programID)
	if code := tandem.ErrorCode(err); code == tandem.EFORBIDDEN || code == tandem.EINVALID {
		return nil
	}
	return err
}

func (tx *Tx) defaultLink(ctx context.Context, partnerID, programID string) (*tandem.Link, error) {
	ls, err := findLinks(ctx, tx, tandem.LinkFilter{PartnerID: partnerID, ProgramID: programID, IncludeArchived: true, Limit: 1000})
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(ls, func(l *tandem.Link) bool { return l.IsDefault }); i >= 0 {
		return ls[i], nil
	}
	return nil, nil
}

// linkProgram returns the program if the partner may create links in it:
// a member (else ENOTFOUND), approved, with the current agreement accepted
// (else EFORBIDDEN), in an active program (else EINVALID).
func (tx *Tx) linkProgram(ctx context.Context, partnerID, programID string) (*tandem.Program, error) {
	program, err := findProgramByID(ctx, tx, programID)
	if err != nil {
		return nil, err
	}
	if _, err := findPartnerByID(ctx, tx, partnerID); err != nil {
		return nil, err
	}
	ms, err := findMemberships(ctx, tx, tandem.MembershipFilter{ProgramID: programID, PartnerID: partnerID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, &tandem.Error{Code: tandem.ENOTFOUND, Field: "partner_id", Message: "This partner is not in the program."}
	}
	if program.Status != tandem.ProgramActive {
		return nil, tandem.Invalidf("program_id", "Program %q is archived and takes no new links.", program.Name)
	}
	current, err := findCurrentAgreement(ctx, tx, programID)
	if err != nil {
		return nil, err
	}
	var accepted *tandem.AgreementAcceptance
	if current != nil {
		found, err := findAcceptances(ctx, tx, acceptanceFilter{partnerID: partnerID, versionID: current.ID})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			accepted = found[0]
		}
	}
	m := ms[0]
	switch {
	case m.Status == tandem.MembershipPending:
		return nil, &tandem.Error{Code: tandem.EFORBIDDEN, Field: "partner_id", Message: fmt.Sprintf("Links open once the membership of %s is approved.", program.Name)}
	case m.Status != tandem.MembershipApproved:
		return nil, &tandem.Error{Code: tandem.EFORBIDDEN, Field: "partner_id", Message: fmt.Sprintf("The membership of %s is %s, so no new links can be created.", program.Name, m.Status)}
	case !tandem.MayCreateLinks(*m, tandem.NewAgreementState(current, accepted)):
		return nil, &tandem.Error{Code: tandem.EFORBIDDEN, Field: "partner_id", Message: fmt.Sprintf("The current partner agreement of %s must be accepted before links can be created.", program.Name)}
	}
	return program, nil
}

// insertLink stores a new link. A random code that is taken is drawn
// again; a vanity code that is taken (ignoring case) is ECONFLICT. ON
// CONFLICT DO NOTHING keeps the transaction usable on PostgreSQL after a
// clash.
func (tx *Tx) insertLink(ctx context.Context, l *tandem.Link) error {
	vanity := l.Code != ""
	l.ID, l.CreatedAt = tandem.NewID(tandem.PrefixLink), tx.now
	for attempt := 0; ; attempt++ {
		if !vanity {
			l.Code = tandem.NewCode()
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO links (id, code, program_id, partner_id, channel, label, destination,
				utm_source, utm_medium, utm_campaign, utm_content, utm_term, is_default, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT DO NOTHING`,
			l.ID, l.Code, l.ProgramID, l.PartnerID, l.Channel, l.Label, l.Destination,
			l.UTM.Source, l.UTM.Medium, l.UTM.Campaign, l.UTM.Content, l.UTM.Term, l.IsDefault, ms(l.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert link: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert link: %w", err)
		} else if n == 1 {
			break
		}
		if l.IsDefault {
			if found, err := tx.defaultLink(ctx, l.PartnerID, l.ProgramID); err != nil {
				return err
			} else if found != nil {
				return tandem.Errorf(tandem.ECONFLICT, "The partner already has a default link in this program.")
			}
		}
		if vanity {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "code", Message: fmt.Sprintf("The code %q is taken; choose another.", l.Code)}
		}
		if attempt == codeAttempts {
			return fmt.Errorf("insert link: no free code after %d attempts", codeAttempts)
		}
	}
	return tx.audit(ctx, "link.create", l.ID, l)
}

// FindLinkByID returns the link with the ID, or ENOTFOUND.
func (s *LinkService) FindLinkByID(ctx context.Context, id string) (*tandem.Link, error) {
	return s.findOne(ctx, tandem.LinkFilter{ID: id, IncludeArchived: true, Limit: 1})
}

// FindLinkByCode returns the link with the code (exactly), or ENOTFOUND.
func (s *LinkService) FindLinkByCode(ctx context.Context, code string) (*tandem.Link, error) {
	if code == "" {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	return s.findOne(ctx, tandem.LinkFilter{Code: code, IncludeArchived: true, Limit: 1})
}

func (s *LinkService) findOne(ctx context.Context, filter tandem.LinkFilter) (*tandem.Link, error) {
	var l *tandem.Link
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		l, err = findLink(ctx, tx, filter)
		return err
	})
	return l, err
}

func findLink(ctx context.Context, tx *Tx, filter tandem.LinkFilter) (*tandem.Link, error) {
	ls, err := findLinks(ctx, tx, filter)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	return ls[0], nil
}

// FindLinks returns the links matching the filter, oldest first.
func (s *LinkService) FindLinks(ctx context.Context, filter tandem.LinkFilter) ([]*tandem.Link, error) {
	var ls []*tandem.Link
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		ls, err = findLinks(ctx, tx, filter)
		return err
	})
	return ls, err
}

// ArchiveLink archives one of the partner's links.
func (s *LinkService) ArchiveLink(ctx context.Context, partnerID, linkID string) (*tandem.Link, error) {
	var l *tandem.Link
	err := s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		if l, err = findLink(ctx, tx, tandem.LinkFilter{ID: linkID, PartnerID: partnerID, IncludeArchived: true, Limit: 1}); err != nil {
			return err
		}
		if l.IsDefault {
			return tandem.Invalidf("link", "The default link cannot be archived; it is the one your resources and checklist use.")
		}
		if !l.ArchivedAt.IsZero() {
			return nil // archived before: the first time stands
		}
		l.ArchivedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE links SET archived_at = $1 WHERE id = $2`, ms(tx.now), l.ID); err != nil {
			return fmt.Errorf("archive link: %w", err)
		}
		return tx.audit(ctx, "link.archive", l.ID, map[string]string{"code": l.Code, "partner_id": l.PartnerID})
	})
	if err == nil {
		s.db.redirects.forget() // the link stops redirecting now, not in RedirectTTL
	}
	return l, err
}

// FindRedirect returns the redirect of the link with the code (archived
// ones included), read with its program in one read transaction. Answers
// are kept in memory for up to RedirectTTL.
func (s *LinkService) FindRedirect(ctx context.Context, code string) (tandem.Redirect, error) {
	if r, ok := s.db.redirects.get(code); ok {
		return r, nil
	}
	gen := s.db.redirects.generation()
	var r tandem.Redirect
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		ls, err := queryLinks(ctx, tx, tandem.LinkFilter{Code: code, IncludeArchived: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(ls) == 0 || code == "" {
			return tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
		}
		p, err := findProgramByID(ctx, tx, ls[0].ProgramID)
		if err != nil {
			return err
		}
		r = tandem.NewRedirect(p, ls[0])
		return nil
	})
	if err != nil {
		return tandem.Redirect{}, err
	}
	s.db.redirects.put(code, gen, r)
	return r, nil
}

// findLinks returns the matching links with their click counts (all-time
// and recent).
func findLinks(ctx context.Context, tx *Tx, filter tandem.LinkFilter) ([]*tandem.Link, error) {
	ls, err := queryLinks(ctx, tx, filter)
	if err != nil {
		return nil, err
	}
	if err := linkStats(ctx, tx, ls); err != nil {
		return nil, err
	}
	return ls, recentClicks(ctx, tx, ls)
}

// queryLinks returns the matching links, without their counts.
func queryLinks(ctx context.Context, tx *Tx, filter tandem.LinkFilter) ([]*tandem.Link, error) {
	var w where
	w.eq("id", filter.ID)
	w.eq("code", filter.Code)
	w.eq("program_id", filter.ProgramID)
	w.eq("partner_id", filter.PartnerID)
	if !filter.IncludeArchived {
		w.conds = append(w.conds, "archived_at IS NULL")
	}
	if err := w.after(filter.After, "created_at", "id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, code, program_id, partner_id, channel, label, destination,
			utm_source, utm_medium, utm_campaign, utm_content, utm_term, is_default, created_at, archived_at
		FROM links `+w.String()+`
		ORDER BY created_at, id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find links: %w", err)
	}
	defer rows.Close()
	var ls []*tandem.Link
	for rows.Next() {
		var l tandem.Link
		if err := rows.Scan(&l.ID, &l.Code, &l.ProgramID, &l.PartnerID, &l.Channel, &l.Label, &l.Destination,
			&l.UTM.Source, &l.UTM.Medium, &l.UTM.Campaign, &l.UTM.Content, &l.UTM.Term, &l.IsDefault,
			timeCol(&l.CreatedAt), timeCol(&l.ArchivedAt)); err != nil {
			return nil, err
		}
		ls = append(ls, &l)
	}
	return ls, rows.Err()
}
