package sqldb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/tandem-prm/tandem"
)

// AgreementService stores programs' agreement versions and partners'
// acceptances.
type AgreementService struct{ db *DB }

var _ tandem.AgreementService = (*AgreementService)(nil)

// NewAgreementService returns the agreements of db.
func NewAgreementService(db *DB) *AgreementService { return &AgreementService{db: db} }

// maxUserAgent is how much of a User-Agent an acceptance keeps.
const maxUserAgent = 500

// PublishAgreement publishes the next version of the program's agreement and
// asks the approved partners' users, by email, to accept it.
func (s *AgreementService) PublishAgreement(ctx context.Context, programID, title, body string) (*tandem.AgreementVersion, error) {
	v := &tandem.AgreementVersion{ProgramID: programID, Title: title, Body: body}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		program, err := findProgramByID(ctx, tx, programID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM agreement_versions WHERE program_id = $1`,
			programID).Scan(&v.Version); err != nil {
			return fmt.Errorf("next agreement version: %w", err)
		}
		v.ID, v.PublishedAt = tandem.NewID(tandem.PrefixAgreementVersion), tx.now
		if actor := tandem.ActorFrom(ctx); actor.Kind == tandem.ActorUser {
			v.PublishedBy = actor.ID
		}
		// Two publishes may both read the same maximum; the unique key lets
		// only one of them have the number.
		_, err = tx.ExecContext(ctx, `
			INSERT INTO agreement_versions (id, program_id, version, title, body, published_by, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			v.ID, v.ProgramID, v.Version, v.Title, v.Body, v.PublishedBy, ms(v.PublishedAt))
		if isUniqueViolation(err) {
			return tandem.Errorf(tandem.ECONFLICT, "Someone published a version of this agreement at the same moment. Reload the page and try again.")
		} else if err != nil {
			return fmt.Errorf("insert agreement version: %w", err)
		}
		sum := sha256.Sum256([]byte(v.Body))
		if err := tx.audit(ctx, "agreement.publish", v.ID, map[string]any{
			"program_id": programID, "version": v.Version, "title": v.Title, "body_sha256": hex.EncodeToString(sum[:]),
		}); err != nil {
			return err
		}
		return tx.emailAgreementUpdated(ctx, program, v)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// emailAgreementUpdated queues the agreement_updated email to every partner
// user of the program's approved partners.
func (tx *Tx) emailAgreementUpdated(ctx context.Context, program *tandem.Program, v *tandem.AgreementVersion) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT pu.email, pu.name FROM partner_users pu
		JOIN memberships m ON m.partner_id = pu.partner_id
		WHERE m.program_id = $1 AND m.status = $2
		ORDER BY pu.email`, program.ID, tandem.MembershipApproved)
	if err != nil {
		return fmt.Errorf("find partner users to email: %w", err)
	}
	type recipient struct{ email, name string }
	var to []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.email, &r.name); err != nil {
			rows.Close()
			return err
		}
		to = append(to, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range to {
		data := emailData{RecipientName: r.name, LinkPath: "/portal/programs/" + program.ID + "/agreement",
			ProgramName: program.Name, Version: v.Version}
		if err := tx.queueEmail(ctx, r.email, r.name, "agreement_updated", data); err != nil {
			return err
		}
	}
	return nil
}

// CurrentAgreement returns the program's newest version, or ENOTFOUND.
func (s *AgreementService) CurrentAgreement(ctx context.Context, programID string) (*tandem.AgreementVersion, error) {
	var v *tandem.AgreementVersion
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		if _, err := findProgramByID(ctx, tx, programID); err != nil {
			return err
		}
		if v, err = findCurrentAgreement(ctx, tx, programID); err == nil && v == nil {
			err = tandem.Errorf(tandem.ENOTFOUND, "This program has not published an agreement.")
		}
		return err
	})
	return v, err
}

// FindAgreementVersions returns the program's versions, newest first.
func (s *AgreementService) FindAgreementVersions(ctx context.Context, programID string) ([]*tandem.AgreementVersion, error) {
	var vs []*tandem.AgreementVersion
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		if _, err := findProgramByID(ctx, tx, programID); err != nil {
			return err
		}
		vs, err = findAgreementVersions(ctx, tx, "program_id", programID, 0)
		return err
	})
	return vs, err
}

// AcceptAgreement records a partner's acceptance of the current version; a
// second acceptance of the same version returns the first.
func (s *AgreementService) AcceptAgreement(ctx context.Context, partnerUserID, programID, versionID, fullName string) (*tandem.AgreementAcceptance, error) {
	fullName, err := tandem.ValidateFullName(fullName)
	if err != nil {
		return nil, err
	}
	ua := tandem.UserAgentFrom(ctx)
	if utf8.RuneCountInString(ua) > maxUserAgent {
		ua = string([]rune(ua)[:maxUserAgent])
	}
	var a *tandem.AgreementAcceptance
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		var partnerID string
		err := tx.QueryRowContext(ctx, `SELECT partner_id FROM partner_users WHERE id = $1`, partnerUserID).Scan(&partnerID)
		if isNoRows(err) {
			return tandem.Errorf(tandem.ENOTFOUND, "Partner user not found.")
		} else if err != nil {
			return err
		}
		// A program the partner is not in does not exist, as far as they can tell.
		memberships, err := findMemberships(ctx, tx, tandem.MembershipFilter{ProgramID: programID, PartnerID: partnerID, Limit: 1})
		if err != nil {
			return err
		}
		if len(memberships) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
		}
		vs, err := findAgreementVersions(ctx, tx, "id", versionID, 1)
		if err != nil {
			return err
		}
		if len(vs) == 0 || vs[0].ProgramID != programID {
			return tandem.Errorf(tandem.ENOTFOUND, "This version of the terms does not exist.")
		}
		current, err := findCurrentAgreement(ctx, tx, programID)
		if err != nil {
			return err
		}
		if current.ID != versionID {
			return tandem.Errorf(tandem.EINVALID, "A newer version exists: please read the current terms (version %d) and accept them.", current.Version)
		}
		actor := tandem.ActorFrom(ctx)
		a = &tandem.AgreementAcceptance{
			ProgramID: programID, PartnerID: partnerID, VersionID: current.ID, Version: current.Version,
			PartnerUserID: partnerUserID, FullName: fullName, IP: actor.IP, UserAgent: ua, AcceptedAt: tx.now,
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO agreement_acceptances (program_id, partner_id, version_id, partner_user_id, full_name, ip, user_agent, accepted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (partner_id, version_id) DO NOTHING`,
			a.ProgramID, a.PartnerID, a.VersionID, a.PartnerUserID, a.FullName, a.IP, a.UserAgent, ms(a.AcceptedAt))
		if err != nil {
			return fmt.Errorf("insert agreement acceptance: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // accepted before: that acceptance stands
			found, err := findAcceptances(ctx, tx, acceptanceFilter{partnerID: partnerID, versionID: versionID})
			if err != nil {
				return err
			}
			if len(found) == 0 {
				return fmt.Errorf("acceptance of %s by %s vanished", versionID, partnerID)
			}
			a = found[0]
			return nil
		}
		if err := tx.audit(ctx, "agreement.accept", memberships[0].ID, map[string]any{
			"program_id": programID, "partner_id": partnerID, "version_id": a.VersionID, "version": a.Version,
			"partner_user_id": partnerUserID, "full_name": fullName, "user_agent": ua,
		}); err != nil {
			return err
		}
		// Commissions held for the agreement wait no longer for it.
		if err := tx.releaseAgreementHolds(ctx, programID, partnerID); err != nil {
			return err
		}
		// Accepting may be what opens links: the default link comes with it.
		return tx.grantDefaultLink(ctx, partnerID, programID)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FindAcceptances returns the program's acceptances, newest first.
func (s *AgreementService) FindAcceptances(ctx context.Context, programID string) ([]*tandem.AgreementAcceptance, error) {
	var as []*tandem.AgreementAcceptance
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		if _, err := findProgramByID(ctx, tx, programID); err != nil {
			return err
		}
		as, err = findAcceptances(ctx, tx, acceptanceFilter{programID: programID})
		return err
	})
	return as, err
}

// AgreementStatus returns where the partner stands with the program's
// current agreement.
func (s *AgreementService) AgreementStatus(ctx context.Context, programID, partnerID string) (tandem.AgreementState, error) {
	var state tandem.AgreementState
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		if _, err := findProgramByID(ctx, tx, programID); err != nil {
			return err
		}
		current, err := findCurrentAgreement(ctx, tx, programID)
		if err != nil || current == nil {
			return err
		}
		found, err := findAcceptances(ctx, tx, acceptanceFilter{partnerID: partnerID, versionID: current.ID})
		if err != nil {
			return err
		}
		var accepted *tandem.AgreementAcceptance
		if len(found) > 0 {
			accepted = found[0]
		}
		state = tandem.NewAgreementState(current, accepted)
		return nil
	})
	return state, err
}

// findCurrentAgreement returns the program's newest version, or nil.
func findCurrentAgreement(ctx context.Context, tx *Tx, programID string) (*tandem.AgreementVersion, error) {
	vs, err := findAgreementVersions(ctx, tx, "program_id", programID, 1)
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return vs[0], nil
}

// findAgreementVersions returns the versions whose column ("id" or
// "program_id") equals value, newest first, at most n (0: the default page).
func findAgreementVersions(ctx context.Context, tx *Tx, column, value string, n int) ([]*tandem.AgreementVersion, error) {
	var w where
	w.eq(column, value)
	rows, err := tx.QueryContext(ctx, `
		SELECT id, program_id, version, title, body, published_by, published_at
		FROM agreement_versions `+w.String()+`
		ORDER BY version DESC LIMIT `+fmt.Sprint(limit(n)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find agreement versions: %w", err)
	}
	defer rows.Close()
	var vs []*tandem.AgreementVersion
	for rows.Next() {
		var v tandem.AgreementVersion
		if err := rows.Scan(&v.ID, &v.ProgramID, &v.Version, &v.Title, &v.Body, &v.PublishedBy, timeCol(&v.PublishedAt)); err != nil {
			return nil, err
		}
		vs = append(vs, &v)
	}
	return vs, rows.Err()
}

// acceptanceFilter selects acceptances; empty fields match everything.
type acceptanceFilter struct{ programID, partnerID, versionID string }

func findAcceptances(ctx context.Context, tx *Tx, filter acceptanceFilter) ([]*tandem.AgreementAcceptance, error) {
	var w where
	w.eq("a.program_id", filter.programID)
	w.eq("a.partner_id", filter.partnerID)
	w.eq("a.version_id", filter.versionID)
	rows, err := tx.QueryContext(ctx, `
		SELECT a.program_id, a.partner_id, a.version_id, v.version, a.partner_user_id, a.full_name, a.ip, a.user_agent,
			a.accepted_at, p.name, pu.email
		FROM agreement_acceptances a
		JOIN agreement_versions v ON v.id = a.version_id
		JOIN partners p ON p.id = a.partner_id
		JOIN partner_users pu ON pu.id = a.partner_user_id
		`+w.String()+`
		ORDER BY a.accepted_at DESC, v.version DESC, p.name LIMIT `+fmt.Sprint(limit(1000)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find agreement acceptances: %w", err)
	}
	defer rows.Close()
	var as []*tandem.AgreementAcceptance
	for rows.Next() {
		var a tandem.AgreementAcceptance
		if err := rows.Scan(&a.ProgramID, &a.PartnerID, &a.VersionID, &a.Version, &a.PartnerUserID, &a.FullName, &a.IP,
			&a.UserAgent, timeCol(&a.AcceptedAt), &a.PartnerName, &a.PartnerUserEmail); err != nil {
			return nil, err
		}
		as = append(as, &a)
	}
	return as, rows.Err()
}
