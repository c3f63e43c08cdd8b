package tandem

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// InvitationStatus is where an invitation to a program stands.
type InvitationStatus string

// Invitation statuses. Sent, accepted and revoked are stored; expired is
// how a sent invitation reads once its link has run out.
const (
	InvitationSent     InvitationStatus = "sent"     // emailed, waiting for the invitee to apply
	InvitationAccepted InvitationStatus = "accepted" // the invitee applied with it
	InvitationRevoked  InvitationStatus = "revoked"  // withdrawn by a program manager
	InvitationExpired  InvitationStatus = "expired"  // not used within InvitationLifetime
)

// InvitationLifetime is how long an invitation's link stays valid. Sending
// an invitation again gives a new link and a new lifetime.
const InvitationLifetime = 30 * 24 * time.Hour

// Invitation is a program's invitation of one hand-picked person (a happy
// customer, a contact with a strong network) to become its partner. The
// email carries a one-time link to the program's public page; applying
// through it joins the program (approved at once when the program's
// InvitesSkipReview is set) and uses the invitation up.
type Invitation struct {
	ID        string `json:"id"`
	ProgramID string `json:"program_id"`
	Email     string `json:"email"`
	Name      string `json:"name,omitempty"`
	Company   string `json:"company,omitempty"`
	InvitedBy string `json:"invited_by"` // a User ID
	// InviterName is the inviting user's name (or email), as the invitee sees it.
	InviterName string           `json:"inviter_name,omitempty"`
	Status      InvitationStatus `json:"status"`
	// PartnerID is the partner who accepted it.
	PartnerID  string    `json:"partner_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	SentAt     time.Time `json:"sent_at"` // the last time it was sent
	ExpiresAt  time.Time `json:"expires_at"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
}

// Validate checks an invitee: a valid email (normalised to lower case), a
// name and a company of at most 200 characters, both optional.
func (inv *Invitation) Validate() error {
	email, err := NormalizeEmail(inv.Email)
	if err != nil {
		return err
	}
	inv.Email = email
	inv.Name, inv.Company = strings.TrimSpace(inv.Name), strings.TrimSpace(inv.Company)
	if utf8.RuneCountInString(inv.Name) > 200 {
		return Invalidf("name", "Name must be at most 200 characters.")
	}
	if utf8.RuneCountInString(inv.Company) > 200 {
		return Invalidf("company", "Company must be at most 200 characters.")
	}
	return nil
}

// InvitationFilter selects invitations. Zero fields match everything.
type InvitationFilter struct {
	ProgramID string
	Email     string
	Limit     int
}

// ImportStatus is how far an invitation import has got.
type ImportStatus string

// Import statuses.
const (
	ImportQueued  ImportStatus = "queued"  // uploaded, waiting for its job
	ImportRunning ImportStatus = "running" // being worked through
	ImportDone    ImportStatus = "done"    // every row has its outcome
)

// ImportOutcome is what became of one row of an import.
type ImportOutcome string

// Import outcomes; a row not yet processed has none.
const (
	ImportInvited ImportOutcome = "invited" // an invitation was sent
	ImportSkipped ImportOutcome = "skipped" // not invited, for the reason given
	ImportFailed  ImportOutcome = "failed"  // an internal error; invite the person on their own
)

// Limits of an invitation import.
const (
	MaxImportRows     = 5000
	MaxImportFileSize = 2 << 20 // bytes
)

// InvitationImport is a CSV file of people to invite to a program, worked
// through in the background; each row is invited on its own, so a bad row
// never undoes the good ones.
type InvitationImport struct {
	ID        string       `json:"id"`
	ProgramID string       `json:"program_id"`
	InvitedBy string       `json:"invited_by"`
	FileName  string       `json:"file_name"`
	Status    ImportStatus `json:"status"`
	Total     int          `json:"total"`
	Processed int          `json:"processed"`
	Invited   int          `json:"invited"`
	Skipped   int          `json:"skipped"`
	Failed    int          `json:"failed"`
	CreatedAt time.Time    `json:"created_at"`
	// FinishedAt is when the last row was processed.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Rows is the per-row report, in file order; only FindImport fills it.
	Rows []*ImportRow `json:"rows,omitempty"`
}

// Done reports whether every row has its outcome.
func (imp *InvitationImport) Done() bool { return imp.Status == ImportDone }

// ImportRow is one person of an import and what became of them.
type ImportRow struct {
	Line         int           `json:"line"` // the row's line in the file; the header is line 1
	Name         string        `json:"name,omitempty"`
	Email        string        `json:"email"`
	Company      string        `json:"company,omitempty"`
	Outcome      ImportOutcome `json:"outcome,omitempty"`
	Reason       string        `json:"reason,omitempty"` // why it was skipped or failed
	InvitationID string        `json:"invitation_id,omitempty"`
}

// ParseInvitationCSV reads a file of people to invite: UTF-8 (with or
// without a byte order mark), separated by commas or semicolons, with a
// header row naming the columns name, email and company in any order (only
// email is required; other columns are ignored), and at most MaxImportRows
// people. Rows that cannot be invited whatever the database holds (an
// invalid email, a duplicate of an earlier row) come back already skipped,
// with the reason. An unusable file is EINVALID on "file".
func ParseInvitationCSV(data []byte) ([]*ImportRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, Invalidf("file", "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Invalidf("file", "The file is empty.")
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord, r.LazyQuotes, r.TrimLeadingSpace = -1, true, true
	header, err := r.Read()
	if err != nil {
		return nil, Invalidf("file", "The header row could not be read. Save the file as CSV and upload it again.")
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, seen := cols[h]; !seen && (h == "name" || h == "email" || h == "company") {
			cols[h] = i
		}
	}
	if _, ok := cols["email"]; !ok {
		return nil, Invalidf("file", "The first row must be a header naming the columns: name, email, company (email is required). Add one and upload the file again.")
	}
	var rows []*ImportRow
	seen := map[string]int{} // email -> the line it was first on
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return nil, Invalidf("file", "Line %d of the file could not be read (%v). Fix it and upload the file again.", perr.StartLine, perr.Err)
		} else if err != nil {
			return nil, Invalidf("file", "The file could not be read. Save it as CSV and upload it again.")
		}
		field := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a row of separators only
		}
		if len(rows) == MaxImportRows {
			return nil, Invalidf("file", "The file has more than 5,000 people. Split it into files of at most 5,000 rows and upload them one by one.")
		}
		line, _ := r.FieldPos(0)
		row := &ImportRow{Line: line, Name: field("name"), Email: field("email"), Company: field("company")}
		rows = append(rows, row)
		inv := Invitation{Email: row.Email, Name: row.Name, Company: row.Company}
		switch err := inv.Validate(); {
		case row.Email == "":
			row.Outcome, row.Reason = ImportSkipped, "No email address."
		case ErrorField(err) == "email":
			row.Outcome, row.Reason = ImportSkipped, "Invalid email address."
		case err != nil:
			row.Outcome, row.Reason = ImportSkipped, ErrorMessage(err)
		default:
			row.Email, row.Name, row.Company = inv.Email, inv.Name, inv.Company
			if firstLine, dup := seen[inv.Email]; dup {
				row.Outcome, row.Reason = ImportSkipped, "Duplicate in the file: the same email is on line "+strconv.Itoa(firstLine)+"."
			} else {
				seen[inv.Email] = line
			}
		}
	}
	if len(rows) == 0 {
		return nil, Invalidf("file", "The file has a header but nobody to invite.")
	}
	return rows, nil
}

// InvitationImportJob works through the rows of an invitation import.
type InvitationImportJob struct {
	ImportID string `json:"import_id"`
}

// Kind implements Job.
func (InvitationImportJob) Kind() string { return "invitation_import" }

// InvitationService invites hand-picked people to programs, one by one or
// from a CSV file, and checks the invitations' links. Accepting an
// invitation happens in RecruitingService.Apply, with Application.InviteToken.
type InvitationService interface {
	// InviteToProgram invites the person by email (valid for
	// InvitationLifetime) and audits it. Inviting someone already in the
	// program is ECONFLICT on "email"; inviting the same email again sends a
	// new link, and the old one stops working.
	InviteToProgram(ctx context.Context, inviterID, programID, email, name, company string) (*Invitation, error)
	// RevokeInvitation withdraws a sent invitation: its link stops working.
	RevokeInvitation(ctx context.Context, programID, invitationID string) (*Invitation, error)
	// FindInvitations returns the matching invitations, most recently sent first.
	FindInvitations(ctx context.Context, filter InvitationFilter) ([]*Invitation, error)
	// CheckInvitation returns the invitation of a link token if it is valid
	// for the program, without using it; otherwise EINVALID saying why.
	CheckInvitation(ctx context.Context, programID, token string) (*Invitation, error)

	// StartImport checks a CSV file (see ParseInvitationCSV), stores its
	// rows and queues the job that invites them.
	StartImport(ctx context.Context, inviterID, programID, fileName string, data []byte) (*InvitationImport, error)
	// ProcessImport invites the import's remaining rows, committing its
	// progress every few dozen rows; it resumes where it stopped. Rows
	// already in the program, or invited and still open, are skipped: a bulk
	// import never re-sends.
	ProcessImport(ctx context.Context, importID string) error
	// FindImport returns one of the program's imports with its per-row report.
	FindImport(ctx context.Context, programID, importID string) (*InvitationImport, error)
	// FindImports returns the program's imports, newest first, without rows.
	FindImports(ctx context.Context, programID string) ([]*InvitationImport, error)
}
