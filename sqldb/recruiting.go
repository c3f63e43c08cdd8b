package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-prm/tandem"
)

// RecruitingService stores partner groups, application questions and
// applications, and records reviewers' decisions.
type RecruitingService struct{ db *DB }

var _ tandem.RecruitingService = (*RecruitingService)(nil)

// NewRecruitingService returns the recruiting of db.
func NewRecruitingService(db *DB) *RecruitingService { return &RecruitingService{db: db} }

// CreateGroup adds a partner group to a program.
func (s *RecruitingService) CreateGroup(ctx context.Context, programID, name string) (*tandem.PartnerGroup, error) {
	if err := tandem.RequireText("name", "Group name", &name, 80); err != nil {
		return nil, err
	}
	g := &tandem.PartnerGroup{ID: tandem.NewID(tandem.PrefixGroup), ProgramID: programID, Name: name}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := findProgramByID(ctx, tx, programID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partner_groups WHERE program_id = $1`, programID).Scan(&g.Position); err != nil {
			return err
		}
		g.CreatedAt = tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO partner_groups (id, program_id, name, position, created_at) VALUES ($1, $2, $3, $4, $5)`,
			g.ID, g.ProgramID, g.Name, g.Position, ms(g.CreatedAt))
		if isUniqueViolation(err) {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "name", Message: "This program already has a group with this name."}
		} else if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		return tx.audit(ctx, "group.create", g.ID, g)
	})
	return g, err
}

// FindGroups returns a program's groups in order.
func (s *RecruitingService) FindGroups(ctx context.Context, programID string) ([]*tandem.PartnerGroup, error) {
	var groups []*tandem.PartnerGroup
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, program_id, name, position, created_at FROM partner_groups WHERE program_id = $1 ORDER BY position, id`, programID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g tandem.PartnerGroup
			if err := rows.Scan(&g.ID, &g.ProgramID, &g.Name, &g.Position, timeCol(&g.CreatedAt)); err != nil {
				return err
			}
			groups = append(groups, &g)
		}
		return rows.Err()
	})
	return groups, err
}

// AddQuestion appends a question to a program's application form.
func (s *RecruitingService) AddQuestion(ctx context.Context, q *tandem.ApplicationQuestion) error {
	if err := q.Validate(); err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := findProgramByID(ctx, tx, q.ProgramID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM application_questions WHERE program_id = $1`, q.ProgramID).Scan(&q.Position); err != nil {
			return err
		}
		q.ID = tandem.NewID(tandem.PrefixQuestion)
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO application_questions (id, program_id, position, label, kind, choices, required) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			q.ID, q.ProgramID, q.Position, q.Label, q.Kind, strings.Join(q.Choices, "\n"), q.Required); err != nil {
			return fmt.Errorf("insert question: %w", err)
		}
		return tx.audit(ctx, "question.create", q.ID, q)
	})
}

// ArchiveQuestion takes a question off the form; past answers keep it.
func (s *RecruitingService) ArchiveQuestion(ctx context.Context, programID, questionID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE application_questions SET archived_at = $1 WHERE id = $2 AND program_id = $3 AND archived_at IS NULL`,
			ms(tx.now), questionID, programID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Question not found.")
		}
		return tx.audit(ctx, "question.archive", questionID, nil)
	})
}

// FindQuestions returns the program's live questions in order.
func (s *RecruitingService) FindQuestions(ctx context.Context, programID string) ([]*tandem.ApplicationQuestion, error) {
	var qs []*tandem.ApplicationQuestion
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		qs, err = findQuestions(ctx, tx, programID)
		return err
	})
	return qs, err
}

func findQuestions(ctx context.Context, tx *Tx, programID string) ([]*tandem.ApplicationQuestion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, program_id, position, label, kind, choices, required FROM application_questions
		WHERE program_id = $1 AND archived_at IS NULL ORDER BY position`, programID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var qs []*tandem.ApplicationQuestion
	for rows.Next() {
		var q tandem.ApplicationQuestion
		var choices string
		if err := rows.Scan(&q.ID, &q.ProgramID, &q.Position, &q.Label, &q.Kind, &choices, &q.Required); err != nil {
			return nil, err
		}
		q.Choices = splitLines(choices)
		qs = append(qs, &q)
	}
	return qs, rows.Err()
}

// Apply records an application; see tandem.RecruitingService.
func (s *RecruitingService) Apply(ctx context.Context, a *tandem.Application) (*tandem.Membership, error) {
	applicant := tandem.Partner{Name: a.Name, Email: a.Email, Kind: a.Kind, Company: a.Company, Website: a.Website,
		SocialLinks: a.SocialLinks, Audience: a.Audience, Source: tandem.SourceApplied}
	if err := applicant.Validate(); err != nil {
		return nil, err
	}
	var m *tandem.Membership
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		program, err := findProgramByID(ctx, tx, a.ProgramID)
		if err != nil {
			return err
		}
		if program.Status != tandem.ProgramActive {
			return tandem.Errorf(tandem.EINVALID, "This program is not taking applications.")
		}
		invitation, err := tx.invitationFor(ctx, a.InviteToken, program.ID, applicant.Email)
		if err != nil {
			return err
		}
		questions, err := findQuestions(ctx, tx, program.ID)
		if err != nil {
			return err
		}
		answers, err := tandem.CheckAnswers(questions, a.Answers)
		if err != nil {
			return err
		}
		flags := tandem.EmailFlags(applicant.Email)
		partners, err := findPartners(ctx, tx, tandem.PartnerFilter{Email: applicant.Email, Limit: 1})
		if err != nil {
			return err
		}
		partner := &applicant
		partner.Type = program.Type.PartnerType()
		if invitation != nil {
			partner.Source = tandem.SourceInvited
		}
		if len(partners) == 1 {
			partner = partners[0] // one partner account across programs
			elsewhere, err := findMemberships(ctx, tx, tandem.MembershipFilter{PartnerID: partner.ID, Limit: 1})
			if err != nil {
				return err
			}
			if len(elsewhere) > 0 {
				flags = append(flags, tandem.FlagExistingPartner)
			}
		} else if err := tx.insertPartner(ctx, partner); err != nil {
			return err
		}
		var users int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = $1`, applicant.Email).Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			flags = append(flags, tandem.FlagExistingUser)
		}
		status := program.NewMemberStatus()
		if invitation != nil && program.InvitesSkipReview {
			status = tandem.MembershipApproved
		}
		if m, err = tx.insertMembership(ctx, program.ID, partner.ID, status, answers, flags); err != nil {
			return err
		}
		if status == tandem.MembershipApproved {
			if err := tx.grantDefaultLink(ctx, partner.ID, program.ID); err != nil {
				return err
			}
		}
		if err := tx.ensurePartnerUser(ctx, partner.ID, applicant.Email, applicant.Name); err != nil {
			return err
		}
		if err := tx.acceptInvitation(ctx, invitation, a.InviteToken, partner.ID); err != nil {
			return err
		}
		template := "application_received"
		if status == tandem.MembershipApproved {
			template = "application_approved"
		}
		return tx.emailPartner(ctx, partner.ID, template, emailData{ProgramName: program.Name, LinkPath: "/portal/login"})
	})
	return m, err
}

// insertMembership adds a partner to a program with the application's answers and flags.
func (tx *Tx) insertMembership(ctx context.Context, programID, partnerID string, status tandem.MembershipStatus, answers map[string]string, flags []string) (*tandem.Membership, error) {
	m := &tandem.Membership{ID: tandem.NewID(tandem.PrefixMembership), ProgramID: programID, PartnerID: partnerID,
		Status: status, Answers: answers, Flags: flags, CreatedAt: tx.now, UpdatedAt: tx.now}
	answerJSON := ""
	if len(answers) > 0 {
		b, err := json.Marshal(answers)
		if err != nil {
			return nil, err
		}
		answerJSON = string(b)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO memberships (id, program_id, partner_id, status, reason, answers, flags, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '', $5, $6, $7, $7)`,
		m.ID, m.ProgramID, m.PartnerID, m.Status, answerJSON, strings.Join(flags, " "), ms(tx.now))
	if isUniqueViolation(err) {
		return nil, &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "This partner is already in this program (or has applied to it)."}
	} else if err != nil {
		return nil, fmt.Errorf("insert membership: %w", err)
	}
	return m, tx.audit(ctx, "membership.create", m.ID, map[string]any{"program_id": programID, "partner_id": partnerID, "status": status, "flags": flags})
}

// ensurePartnerUser gives the partner a portal user for the email, unless
// one exists, so the applicant can sign in with a link to follow their application.
func (tx *Tx) ensurePartnerUser(ctx context.Context, partnerID, email, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partner_users WHERE email = $1`, email).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_users (id, partner_id, email, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		tandem.NewID(tandem.PrefixPartnerUsr), partnerID, email, name, ms(tx.now))
	return err
}

// emailPartner queues an email to every portal user of the partner.
func (tx *Tx) emailPartner(ctx context.Context, partnerID, template string, data emailData) error {
	rows, err := tx.QueryContext(ctx, `SELECT email, name FROM partner_users WHERE partner_id = $1 ORDER BY created_at`, partnerID)
	if err != nil {
		return err
	}
	type recipient struct{ email, name string }
	var recipients []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.email, &r.name); err != nil {
			rows.Close()
			return err
		}
		recipients = append(recipients, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range recipients {
		data.RecipientName = r.name
		if err := tx.queueEmail(ctx, r.email, r.name, template, data); err != nil {
			return err
		}
	}
	return nil
}

// ReviewMembership records a reviewer's decision and emails the partner.
func (s *RecruitingService) ReviewMembership(ctx context.Context, membershipID string, d tandem.Decision) (*tandem.Membership, error) {
	d.Reason = strings.TrimSpace(d.Reason)
	switch d.Kind {
	case tandem.DecideApprove:
	case tandem.DecideReject, tandem.DecideAskMoreInfo:
		if err := tandem.RequireText("reason", "Reason", &d.Reason, 2000); err != nil {
			return nil, err
		}
	default:
		return nil, tandem.Invalidf("decision", "Decision must be approve, reject or ask.")
	}
	var m *tandem.Membership
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		found, err := findMemberships(ctx, tx, tandem.MembershipFilter{ID: membershipID, Limit: 1})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Application not found.")
		}
		m = found[0]
		program, err := findProgramByID(ctx, tx, m.ProgramID)
		if err != nil {
			return err
		}
		from := m.Status
		email := emailData{ProgramName: program.Name, LinkPath: "/portal/login", Reason: d.Reason}
		switch d.Kind {
		case tandem.DecideAskMoreInfo:
			if m.Status != tandem.MembershipPending {
				return tandem.Errorf(tandem.EINVALID, "Only a pending application can ask for more information.")
			}
			m.Reason = d.Reason
			if !slices.Contains(m.Flags, "more_info_requested") {
				m.Flags = append(m.Flags, "more_info_requested")
			}
			if err := tx.updateMembership(ctx, m, from); err != nil {
				return err
			}
			if err := tx.audit(ctx, "membership.ask", m.ID, map[string]string{"question": d.Reason}); err != nil {
				return err
			}
			return tx.emailPartner(ctx, m.PartnerID, "application_more_info", email)
		case tandem.DecideApprove:
			if !m.Status.CanMoveTo(tandem.MembershipApproved) {
				return tandem.Invalidf("decision", "A %s partner cannot be approved.", m.Status)
			}
			if d.GroupID != "" {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partner_groups WHERE id = $1 AND program_id = $2`, d.GroupID, m.ProgramID).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					return tandem.Invalidf("group_id", "Pick one of this program's groups.")
				}
			}
			m.Status, m.GroupID, m.Reason = tandem.MembershipApproved, d.GroupID, ""
		case tandem.DecideReject:
			if !m.Status.CanMoveTo(tandem.MembershipRejected) {
				return tandem.Invalidf("decision", "A %s partner cannot be rejected.", m.Status)
			}
			m.Status, m.Reason = tandem.MembershipRejected, d.Reason
		}
		if err := tx.updateMembership(ctx, m, from); err != nil {
			return err
		}
		if err := tx.audit(ctx, "membership.status", m.ID, map[string]string{"from": string(from), "to": string(m.Status), "reason": m.Reason, "group_id": m.GroupID}); err != nil {
			return err
		}
		if m.Status == tandem.MembershipApproved {
			if err := tx.grantDefaultLink(ctx, m.PartnerID, m.ProgramID); err != nil {
				return err
			}
		}
		return tx.emailPartner(ctx, m.PartnerID, "application_"+string(m.Status), email)
	})
	return m, err
}

// updateMembership stores a membership's status, reason, group and flags,
// if it is still in status from: a concurrent decision loses cleanly.
func (tx *Tx) updateMembership(ctx context.Context, m *tandem.Membership, from tandem.MembershipStatus) error {
	m.UpdatedAt = tx.now
	var group any
	if m.GroupID != "" {
		group = m.GroupID
	}
	res, err := tx.ExecContext(ctx, `UPDATE memberships SET status = $1, reason = $2, group_id = $3, flags = $4, updated_at = $5
		WHERE id = $6 AND status = $7`, m.Status, m.Reason, group, strings.Join(m.Flags, " "), ms(tx.now), m.ID, from)
	if err != nil {
		return fmt.Errorf("update membership: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return tandem.Errorf(tandem.ECONFLICT, "The application changed meanwhile; reload and try again.")
	}
	return nil
}
