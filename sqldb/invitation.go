package sqldb

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/credential"
)

// InvitationService stores invitations to programs and the CSV imports that
// send them in bulk.
type InvitationService struct{ db *DB }

var _ tandem.InvitationService = (*InvitationService)(nil)

// NewInvitationService returns the invitations of db.
func NewInvitationService(db *DB) *InvitationService { return &InvitationService{db: db} }

// importBatch is how many rows of an import one transaction invites: the
// progress an admin sees moves in steps of this size.
const importBatch = 50

// What an invitee is told about a link that does not work. None says more
// than the holder of the link may know.
var (
	errInvitationUnknown = tandem.Errorf(tandem.EINVALID, "This invitation link is not valid. If you were invited more than once, use the link in the latest email.")
	errInvitationOther   = tandem.Errorf(tandem.EINVALID, "This invitation is for another program.")
	errInvitationUsed    = tandem.Errorf(tandem.EINVALID, "This invitation has already been used. Sign in to the partner portal instead.")
	errInvitationRevoked = tandem.Errorf(tandem.EINVALID, "This invitation has been withdrawn by the program.")
)

// InviteToProgram invites one person to a program and emails them the link.
func (s *InvitationService) InviteToProgram(ctx context.Context, inviterID, programID, email, name, company string) (*tandem.Invitation, error) {
	inv := &tandem.Invitation{Email: email, Name: name, Company: company}
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		program, inviter, err := invitationParties(ctx, tx, programID, inviterID)
		if err != nil {
			return err
		}
		_, err = tx.invite(ctx, program, inviter, inv, false)
		return err
	})
	return inv, err
}

// invitationParties returns the program people are invited to (active) and
// the user who invites them.
func invitationParties(ctx context.Context, tx *Tx, programID, inviterID string) (*tandem.Program, *tandem.User, error) {
	program, err := findProgramByID(ctx, tx, programID)
	if err != nil {
		return nil, nil, err
	}
	if program.Status != tandem.ProgramActive {
		return nil, nil, tandem.Errorf(tandem.EINVALID, "%s is archived and takes no new partners.", program.Name)
	}
	inviter, err := findUserByID(ctx, tx, inviterID)
	if err != nil {
		return nil, nil, err
	}
	return program, inviter, nil
}

// invite sends the validated invitation inv for the program: a new one, or
// the renewal of an earlier one with a new link (the old link stops
// working). Someone already in the program is ECONFLICT. In bulk, they and
// anyone whose invitation is open or was withdrawn are skipped instead, and
// the reason returned.
func (tx *Tx) invite(ctx context.Context, program *tandem.Program, inviter *tandem.User, inv *tandem.Invitation, bulk bool) (skip string, err error) {
	var status tandem.MembershipStatus
	err = tx.QueryRowContext(ctx, `SELECT m.status FROM memberships m JOIN partners p ON p.id = m.partner_id
		WHERE m.program_id = $1 AND p.email = $2`, program.ID, inv.Email).Scan(&status)
	switch {
	case err == nil && bulk:
		return fmt.Sprintf("Already in this program (%s).", status), nil
	case err == nil:
		return "", &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: fmt.Sprintf("%s is already in this program (%s).", inv.Email, status)}
	case !isNoRows(err):
		return "", fmt.Errorf("find membership: %w", err)
	}
	existing, err := queryInvitations(ctx, tx, `i.program_id = $1 AND i.email = $2`, 1, program.ID, inv.Email)
	if err != nil {
		return "", err
	}
	if len(existing) == 1 && bulk {
		switch old := existing[0]; old.Status {
		case tandem.InvitationSent:
			return fmt.Sprintf("Already invited on %s; the invitation is still open.", old.SentAt.Format("2 Jan 2006")), nil
		case tandem.InvitationRevoked:
			return "Their invitation was withdrawn; invite them on their own to send a new one.", nil
		}
	}
	token, hash := credential.NewToken()
	inv.ProgramID, inv.InvitedBy, inv.InviterName = program.ID, inviter.ID, inviter.DisplayName()
	inv.Status, inv.PartnerID, inv.AcceptedAt = tandem.InvitationSent, "", time.Time{}
	inv.SentAt, inv.ExpiresAt = tx.now, tx.now.Add(tandem.InvitationLifetime)
	action := "invitation.create"
	if len(existing) == 1 {
		inv.ID, inv.CreatedAt, action = existing[0].ID, existing[0].CreatedAt, "invitation.resend"
		_, err = tx.ExecContext(ctx, `UPDATE invitations SET name = $1, company = $2, invited_by = $3, token_hash = $4, status = 'sent',
			partner_id = NULL, sent_at = $5, expires_at = $6, accepted_at = NULL WHERE id = $7`,
			inv.Name, inv.Company, inv.InvitedBy, hash, ms(inv.SentAt), ms(inv.ExpiresAt), inv.ID)
	} else {
		inv.ID, inv.CreatedAt = tandem.NewID(tandem.PrefixInvitation), tx.now
		_, err = tx.ExecContext(ctx, `INSERT INTO invitations (id, program_id, email, name, company, invited_by, token_hash, status, created_at, sent_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', $8, $8, $9)`,
			inv.ID, inv.ProgramID, inv.Email, inv.Name, inv.Company, inv.InvitedBy, hash, ms(tx.now), ms(inv.ExpiresAt))
	}
	if isUniqueViolation(err) {
		return "", &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "This email was invited at the same moment by someone else. Reload the page to see the invitation."}
	} else if err != nil {
		return "", fmt.Errorf("store invitation: %w", err)
	}
	if err := tx.audit(ctx, action, inv.ID, map[string]string{"program_id": program.ID, "email": inv.Email, "name": inv.Name, "company": inv.Company}); err != nil {
		return "", err
	}
	return "", tx.queueEmail(ctx, inv.Email, inv.Name, "partner_invite", emailData{
		RecipientName: inv.Name, LinkPath: "/p/" + program.Slug + "?invite=" + url.QueryEscape(token), ExpiresIn: "30 days",
		InviterName: inv.InviterName, ProgramName: program.Name})
}

// RevokeInvitation withdraws an open invitation of the program.
func (s *InvitationService) RevokeInvitation(ctx context.Context, programID, invitationID string) (*tandem.Invitation, error) {
	var inv *tandem.Invitation
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		found, err := queryInvitations(ctx, tx, `i.id = $1 AND i.program_id = $2`, 1, invitationID, programID)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Invitation not found.")
		}
		inv = found[0]
		if inv.Status != tandem.InvitationSent && inv.Status != tandem.InvitationExpired {
			return tandem.Errorf(tandem.EINVALID, "An invitation that is %s cannot be withdrawn.", inv.Status)
		}
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET status = 'revoked' WHERE id = $1 AND status = 'sent'`, inv.ID)
		if err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return tandem.Errorf(tandem.ECONFLICT, "The invitation changed meanwhile; reload and try again.")
		}
		inv.Status = tandem.InvitationRevoked
		return tx.audit(ctx, "invitation.revoke", inv.ID, map[string]string{"program_id": programID, "email": inv.Email})
	})
	return inv, err
}

// FindInvitations returns the matching invitations, most recently sent first.
func (s *InvitationService) FindInvitations(ctx context.Context, filter tandem.InvitationFilter) ([]*tandem.Invitation, error) {
	var out []*tandem.Invitation
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var w where
		w.eq("i.program_id", filter.ProgramID)
		w.eq("i.email", strings.ToLower(strings.TrimSpace(filter.Email)))
		cond := strings.TrimPrefix(w.String(), "WHERE ")
		if cond == "" {
			cond = "1 = 1"
		}
		var err error
		out, err = queryInvitations(ctx, tx, cond, limit(filter.Limit), w.args...)
		return err
	})
	return out, err
}

// CheckInvitation returns the invitation of a link token valid for the program.
func (s *InvitationService) CheckInvitation(ctx context.Context, programID, token string) (*tandem.Invitation, error) {
	var inv *tandem.Invitation
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		inv, err = liveInvitation(ctx, tx, programID, token)
		return err
	})
	return inv, err
}

// liveInvitation returns the invitation of a link token if the link is
// valid for the program: sent, not expired, not replaced by a newer one.
func liveInvitation(ctx context.Context, tx *Tx, programID, token string) (*tandem.Invitation, error) {
	if token == "" {
		return nil, errInvitationUnknown
	}
	found, err := queryInvitations(ctx, tx, `i.token_hash = $1`, 1, credential.HashToken(token))
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errInvitationUnknown
	}
	switch inv := found[0]; {
	case inv.ProgramID != programID:
		return nil, errInvitationOther
	case inv.Status == tandem.InvitationAccepted:
		return nil, errInvitationUsed
	case inv.Status == tandem.InvitationRevoked:
		return nil, errInvitationRevoked
	case inv.Status == tandem.InvitationExpired:
		return nil, tandem.Errorf(tandem.EINVALID, "This invitation expired on %s. Ask the program for a new one.", inv.ExpiresAt.Format("2 Jan 2006"))
	default:
		return inv, nil
	}
}

// invitationFor returns the invitation an application comes with: nil
// without a token; EINVALID when its link is not valid for the program, or
// the application is from another address than the invited one.
func (tx *Tx) invitationFor(ctx context.Context, token, programID, email string) (*tandem.Invitation, error) {
	if token == "" {
		return nil, nil
	}
	inv, err := liveInvitation(ctx, tx, programID, token)
	if err != nil {
		return nil, err
	}
	if inv.Email != email {
		return nil, tandem.Invalidf("email", "This invitation is for another address.")
	}
	return inv, nil
}

// acceptInvitation uses up the invitation an application came with (none
// when inv is nil), exactly once: of two applications with one link, or an
// application racing a new link, one fails.
func (tx *Tx) acceptInvitation(ctx context.Context, inv *tandem.Invitation, token, partnerID string) error {
	if inv == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE invitations SET status = 'accepted', partner_id = $1, accepted_at = $2
		WHERE id = $3 AND token_hash = $4 AND status = 'sent' AND expires_at > $2`, partnerID, ms(tx.now), inv.ID, credential.HashToken(token))
	if err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errInvitationUsed
	}
	inv.Status, inv.PartnerID, inv.AcceptedAt = tandem.InvitationAccepted, partnerID, tx.now
	return tx.audit(ctx, "invitation.accept", inv.ID, map[string]string{"program_id": inv.ProgramID, "partner_id": partnerID})
}

// queryInvitations returns up to n invitations matching cond (on the
// invitations table "i"), most recently sent first. A sent invitation past
// its expiry reads as expired.
func queryInvitations(ctx context.Context, tx *Tx, cond string, n int, args ...any) ([]*tandem.Invitation, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT i.id, i.program_id, i.email, i.name, i.company, i.invited_by, u.name, u.email, i.status, COALESCE(i.partner_id, ''),
			i.created_at, i.sent_at, i.expires_at, i.accepted_at
		FROM invitations i JOIN users u ON u.id = i.invited_by
		WHERE `+cond+` ORDER BY i.sent_at DESC, i.id DESC LIMIT `+fmt.Sprint(n), args...)
	if err != nil {
		return nil, fmt.Errorf("find invitations: %w", err)
	}
	defer rows.Close()
	var out []*tandem.Invitation
	for rows.Next() {
		var inv tandem.Invitation
		var inviterName, inviterEmail string
		if err := rows.Scan(&inv.ID, &inv.ProgramID, &inv.Email, &inv.Name, &inv.Company, &inv.InvitedBy, &inviterName, &inviterEmail,
			&inv.Status, &inv.PartnerID, timeCol(&inv.CreatedAt), timeCol(&inv.SentAt), timeCol(&inv.ExpiresAt), timeCol(&inv.AcceptedAt)); err != nil {
			return nil, err
		}
		inv.InviterName = (&tandem.User{Name: inviterName, Email: inviterEmail}).DisplayName()
		if inv.Status == tandem.InvitationSent && !inv.ExpiresAt.After(tx.now) {
			inv.Status = tandem.InvitationExpired
		}
		out = append(out, &inv)
	}
	return out, rows.Err()
}

// StartImport stores a CSV file's rows and queues the job that invites them.
func (s *InvitationService) StartImport(ctx context.Context, inviterID, programID, fileName string, data []byte) (*tandem.InvitationImport, error) {
	if len(data) > tandem.MaxImportFileSize {
		return nil, tandem.Invalidf("file", "The file must be at most %d MB.", tandem.MaxImportFileSize>>20)
	}
	rows, err := tandem.ParseInvitationCSV(data)
	if err != nil {
		return nil, err
	}
	fileName = strings.TrimSpace(path.Base(strings.ReplaceAll(fileName, `\`, "/")))
	if utf8.RuneCountInString(fileName) > 200 || fileName == "." || fileName == "/" {
		fileName = "upload.csv"
	}
	imp := &tandem.InvitationImport{ID: tandem.NewID(tandem.PrefixImport), ProgramID: programID, InvitedBy: inviterID,
		FileName: fileName, Status: tandem.ImportQueued, Total: len(rows)}
	for _, row := range rows {
		if row.Outcome == tandem.ImportSkipped {
			imp.Skipped++
			imp.Processed++
		}
	}
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, _, err := invitationParties(ctx, tx, programID, inviterID); err != nil {
			return err
		}
		imp.CreatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_imports (id, program_id, invited_by, file_name, status, total, processed, skipped, created_at)
			VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8)`,
			imp.ID, imp.ProgramID, imp.InvitedBy, imp.FileName, imp.Total, imp.Processed, imp.Skipped, ms(tx.now)); err != nil {
			return fmt.Errorf("insert import: %w", err)
		}
		for start := 0; start < len(rows); start += 200 {
			chunk := rows[start:min(start+200, len(rows))]
			var values []string
			var args []any
			for _, row := range chunk {
				n := len(args)
				values = append(values, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7))
				args = append(args, imp.ID, row.Line, row.Name, row.Email, row.Company, string(row.Outcome), row.Reason)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_import_rows (import_id, line, name, email, company, outcome, reason) VALUES `+
				strings.Join(values, ", "), args...); err != nil {
				return fmt.Errorf("insert import rows: %w", err)
			}
		}
		if err := Enqueue(ctx, s.db, tx.Tx, tandem.InvitationImportJob{ImportID: imp.ID}); err != nil {
			return err
		}
		return tx.audit(ctx, "invitation_import.create", imp.ID, map[string]any{"program_id": programID, "file_name": imp.FileName, "rows": imp.Total})
	})
	if err != nil {
		return nil, err
	}
	return imp, nil
}

// ProcessImport invites the import's remaining rows, a batch per transaction.
func (s *InvitationService) ProcessImport(ctx context.Context, importID string) error {
	for {
		done, err := s.processBatch(ctx, importID)
		if err != nil || done {
			return err
		}
	}
}

// processBatch invites the next batch of an import's rows and records their
// outcomes and the import's counts; done is true once no row is left. Each
// row runs under its own savepoint, so a row that fails leaves the others'
// invitations standing.
func (s *InvitationService) processBatch(ctx context.Context, importID string) (done bool, err error) {
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		imp, err := findImport(ctx, tx, "", importID)
		if err != nil {
			return err
		}
		if imp.Done() {
			done = true
			return nil
		}
		// The invitations are the uploader's doing, whoever runs the job.
		ctx := tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorUser, ID: imp.InvitedBy})
		rows, err := findImportRows(ctx, tx, imp.ID, `AND outcome = ''`, importBatch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			done = true
			if _, err := tx.ExecContext(ctx, `UPDATE invitation_imports SET status = 'done', finished_at = $1 WHERE id = $2`, ms(tx.now), imp.ID); err != nil {
				return fmt.Errorf("finish import: %w", err)
			}
			return tx.audit(ctx, "invitation_import.finish", imp.ID, map[string]int{"total": imp.Total, "invited": imp.Invited, "skipped": imp.Skipped, "failed": imp.Failed})
		}
		program, inviter, partiesErr := invitationParties(ctx, tx, imp.ProgramID, imp.InvitedBy)
		if tandem.ErrorCode(partiesErr) == tandem.EINTERNAL {
			return partiesErr
		}
		counts := map[tandem.ImportOutcome]int{}
		for _, row := range rows {
			row.Outcome, row.Reason = tandem.ImportInvited, ""
			if partiesErr != nil { // the program was archived meanwhile
				row.Outcome, row.Reason = tandem.ImportSkipped, tandem.ErrorMessage(partiesErr)
			} else if err := tx.inviteRow(ctx, program, inviter, row); err != nil {
				s.db.logger.Error("invitation import: a row failed", "import_id", imp.ID, "line", row.Line, "err", err)
				row.Outcome, row.Reason = tandem.ImportFailed, "An internal error stopped this invitation. Invite this person on their own."
			}
			counts[row.Outcome]++
			var invitation any
			if row.InvitationID != "" {
				invitation = row.InvitationID
			}
			if _, err := tx.ExecContext(ctx, `UPDATE invitation_import_rows SET outcome = $1, reason = $2, invitation_id = $3 WHERE import_id = $4 AND line = $5`,
				row.Outcome, row.Reason, invitation, imp.ID, row.Line); err != nil {
				return fmt.Errorf("record import row: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE invitation_imports SET status = 'running', processed = processed + $1,
			invited = invited + $2, skipped = skipped + $3, failed = failed + $4 WHERE id = $5`,
			len(rows), counts[tandem.ImportInvited], counts[tandem.ImportSkipped], counts[tandem.ImportFailed], imp.ID)
		if err != nil {
			return fmt.Errorf("update import counts: %w", err)
		}
		return nil
	})
	return done, err
}

// inviteRow invites one import row under a savepoint and sets its outcome
// to invited or skipped (with the reason). It returns only internal errors,
// after rolling the row's work back.
func (tx *Tx) inviteRow(ctx context.Context, program *tandem.Program, inviter *tandem.User, row *tandem.ImportRow) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT import_row`); err != nil {
		return err
	}
	inv := &tandem.Invitation{Email: row.Email, Name: row.Name, Company: row.Company}
	err := inv.Validate()
	skip := ""
	if err == nil {
		skip, err = tx.invite(ctx, program, inviter, inv, true)
	}
	if err != nil {
		if _, rbErr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_row`); rbErr != nil {
			return fmt.Errorf("%w (and rolling the row back: %v)", err, rbErr)
		}
		skip = tandem.ErrorMessage(err) // a domain refusal: the row is skipped with its reason
	}
	if _, relErr := tx.ExecContext(ctx, `RELEASE SAVEPOINT import_row`); relErr != nil {
		return relErr
	}
	if tandem.ErrorCode(err) == tandem.EINTERNAL {
		return err
	}
	if skip != "" {
		row.Outcome, row.Reason = tandem.ImportSkipped, skip
	} else {
		row.InvitationID = inv.ID
	}
	return nil
}

// FindImport returns one of the program's imports with its per-row report.
func (s *InvitationService) FindImport(ctx context.Context, programID, importID string) (*tandem.InvitationImport, error) {
	var imp *tandem.InvitationImport
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		if imp, err = findImport(ctx, tx, programID, importID); err != nil {
			return err
		}
		imp.Rows, err = findImportRows(ctx, tx, imp.ID, "", tandem.MaxImportRows)
		return err
	})
	return imp, err
}

// FindImports returns the program's latest imports, newest first.
func (s *InvitationService) FindImports(ctx context.Context, programID string) ([]*tandem.InvitationImport, error) {
	var out []*tandem.InvitationImport
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+importColumns+` FROM invitation_imports WHERE program_id = $1
			ORDER BY created_at DESC, id DESC LIMIT 50`, programID)
		if err != nil {
			return fmt.Errorf("find imports: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			imp, err := scanImport(rows)
			if err != nil {
				return err
			}
			out = append(out, imp)
		}
		return rows.Err()
	})
	return out, err
}

const importColumns = `id, program_id, invited_by, file_name, status, total, processed, invited, skipped, failed, created_at, finished_at`

func scanImport(row interface{ Scan(...any) error }) (*tandem.InvitationImport, error) {
	var imp tandem.InvitationImport
	err := row.Scan(&imp.ID, &imp.ProgramID, &imp.InvitedBy, &imp.FileName, &imp.Status, &imp.Total, &imp.Processed,
		&imp.Invited, &imp.Skipped, &imp.Failed, timeCol(&imp.CreatedAt), timeCol(&imp.FinishedAt))
	return &imp, err
}

// findImport returns the import with the ID (in the program, unless
// programID is empty), or ENOTFOUND.
func findImport(ctx context.Context, tx *Tx, programID, importID string) (*tandem.InvitationImport, error) {
	if importID == "" {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Import not found.")
	}
	var w where
	w.eq("id", importID)
	w.eq("program_id", programID)
	imp, err := scanImport(tx.QueryRowContext(ctx, `SELECT `+importColumns+` FROM invitation_imports `+w.String(), w.args...))
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Import not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find import: %w", err)
	}
	return imp, nil
}

// findImportRows returns up to n rows of an import matching the extra
// condition, in file order.
func findImportRows(ctx context.Context, tx *Tx, importID, cond string, n int) ([]*tandem.ImportRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT line, name, email, company, outcome, reason, COALESCE(invitation_id, '')
		FROM invitation_import_rows WHERE import_id = $1 `+cond+` ORDER BY line LIMIT `+fmt.Sprint(n), importID)
	if err != nil {
		return nil, fmt.Errorf("find import rows: %w", err)
	}
	defer rows.Close()
	var out []*tandem.ImportRow
	for rows.Next() {
		var r tandem.ImportRow
		if err := rows.Scan(&r.Line, &r.Name, &r.Email, &r.Company, &r.Outcome, &r.Reason, &r.InvitationID); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}
