package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandem-prm/tandem"
)

// ReferralService stores referrals (leads) and runs their pipeline.
type ReferralService struct{ db *DB }

var _ tandem.ReferralService = (*ReferralService)(nil)

// NewReferralService returns the referrals of db.
func NewReferralService(db *DB) *ReferralService { return &ReferralService{db: db} }

// CreateReferral checks the referral's conflicts and stores it, in one transaction.
func (s *ReferralService) CreateReferral(ctx context.Context, in tandem.ReferralInput) (*tandem.Referral, error) {
	var r *tandem.Referral
	err := s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		r, err = tx.createReferral(ctx, in)
		return err
	})
	return r, err
}

// createReferral validates a new referral, checks its conflicts and stores
// it with its first history row, an audit entry and the partner's email.
// It is how the lead form, the portal and the API make referrals; the
// conversion engine makes its own (source tandem.ReferralFromConversion,
// without conflict judging: see writeReferrals), so that source is refused
// here.
//
// Conflicts are judged under a lock on the program's row, taken before
// anything is read, so two partners registering the same email at the same
// moment are judged one after the other on PostgreSQL too (SQLite has one
// writer anyway): the first is new, the second a duplicate.
func (tx *Tx) createReferral(ctx context.Context, in tandem.ReferralInput) (*tandem.Referral, error) {
	program, err := findProgramByID(ctx, tx, in.ProgramID)
	if err != nil {
		return nil, err
	}
	r, err := tandem.NewReferral(program, in)
	if err != nil {
		return nil, err
	}
	if r.Source == tandem.ReferralFromConversion {
		return nil, tandem.Invalidf("source", "A referral from a conversion is made by the sale or lead that brings it.")
	}
	if err := tx.checkReferrer(ctx, program, r); err != nil {
		return nil, err
	}
	// The lock: a no-op update holds the program's row until commit.
	if _, err := tx.ExecContext(ctx, `UPDATE programs SET protection_days = protection_days WHERE id = $1`, program.ID); err != nil {
		return nil, fmt.Errorf("lock program: %w", err)
	}
	r.ID, r.CreatedAt, r.UpdatedAt = tandem.NewID(tandem.PrefixReferral), tx.now, tx.now
	r.ProtectedUntil = tx.now.AddDate(0, 0, program.ProtectionDays)
	if err := tx.judgeConflicts(ctx, program, r); err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO referrals (id, program_id, partner_id, link_id, source, email, name, company, domain, notes,
			expected_value, currency, status, reason, conflict, conflict_with_id, protected_until, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)`,
		r.ID, r.ProgramID, r.PartnerID, nullable(r.LinkID), r.Source, r.Email, r.Name, r.Company, r.Domain, r.Notes,
		r.ExpectedValue, r.Currency, r.Status, r.Reason, r.Conflict, r.ConflictWithID, ms(r.ProtectedUntil), ms(tx.now))
	if isUniqueViolation(err) {
		return nil, alreadyRegistered(r.Email)
	} else if err != nil {
		return nil, fmt.Errorf("insert referral: %w", err)
	}
	if err := tx.addReferralEvent(ctx, r.ID, 1, "", r.Status, r.Reason); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, "referral.create", r.ID, r); err != nil {
		return nil, err
	}
	switch {
	case r.Status == tandem.ReferralDuplicate:
		return r, tx.emailReferral(ctx, program, r, "referral_status")
	case r.Source != tandem.ReferralFromPartner: // the partner did not register it: tell them
		return r, tx.emailReferral(ctx, program, r, "referral_new")
	}
	return r, nil
}

// checkReferrer checks that the partner may receive the referral: an
// approved member (else ENOTFOUND or EFORBIDDEN) of an active program; and
// the link, if any, is the partner's in the program.
func (tx *Tx) checkReferrer(ctx context.Context, program *tandem.Program, r *tandem.Referral) error {
	ms, err := findMemberships(ctx, tx, tandem.MembershipFilter{ProgramID: program.ID, PartnerID: r.PartnerID, Limit: 1})
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return &tandem.Error{Code: tandem.ENOTFOUND, Field: "partner_id", Message: "This partner is not in the program."}
	}
	if ms[0].Status != tandem.MembershipApproved {
		return &tandem.Error{Code: tandem.EFORBIDDEN, Field: "partner_id", Message: fmt.Sprintf("Referrals open once the membership of %s is approved; it is %s.", program.Name, ms[0].Status)}
	}
	if program.Status != tandem.ProgramActive {
		return tandem.Invalidf("program_id", "Program %q is archived and takes no new referrals.", program.Name)
	}
	if r.LinkID != "" {
		if _, err := findLink(ctx, tx, tandem.LinkFilter{ID: r.LinkID, ProgramID: program.ID, PartnerID: r.PartnerID, IncludeArchived: true, Limit: 1}); err != nil {
			return &tandem.Error{Code: tandem.ENOTFOUND, Field: "link_id", Message: "Link not found for this partner in this program."}
		}
	}
	return nil
}

// judgeConflicts sets the referral's status, conflict and reason: the same
// partner's email twice is ECONFLICT; a customer's email or another
// partner's protected one makes it a duplicate; another partner's protected
// referral at the same company domain flags it possible_duplicate. A
// duplicate never protects anything itself.
func (tx *Tx) judgeConflicts(ctx context.Context, program *tandem.Program, r *tandem.Referral) error {
	if r.Email == "" {
		return nil
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM referrals WHERE program_id = $1 AND partner_id = $2 AND email = $3`,
		r.ProgramID, r.PartnerID, r.Email).Scan(&id)
	if err == nil {
		return alreadyRegistered(r.Email)
	} else if !isNoRows(err) {
		return fmt.Errorf("find own referral: %w", err)
	}
	// email <> '' (true here) lets the partial index customers_email answer.
	err = tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE program_id = $1 AND email = $2 AND email <> '' ORDER BY created_at, id LIMIT 1`,
		r.ProgramID, r.Email).Scan(&id)
	if err == nil {
		r.Status, r.Conflict, r.ConflictWithID = tandem.ReferralDuplicate, tandem.ConflictExistingCustomer, id
		r.Reason = fmt.Sprintf("%s is already a customer of %s.", r.Email, program.Name)
		return nil
	} else if !isNoRows(err) {
		return fmt.Errorf("find customer: %w", err)
	}
	var created, until time.Time
	err = tx.QueryRowContext(ctx, `
		SELECT id, created_at, protected_until FROM referrals
		WHERE program_id = $1 AND email = $2 AND partner_id <> $3 AND status <> 'duplicate' AND protected_until > $4
		ORDER BY created_at, id LIMIT 1`, r.ProgramID, r.Email, r.PartnerID, ms(tx.now)).Scan(&id, timeCol(&created), timeCol(&until))
	if err == nil {
		r.Status, r.Conflict, r.ConflictWithID = tandem.ReferralDuplicate, tandem.ConflictProtectedByOther, id
		r.Reason = fmt.Sprintf("%s was already registered by another partner on %s; it is theirs until %s.",
			r.Email, created.Format(dateLayout), until.Format(dateLayout))
		return nil
	} else if !isNoRows(err) {
		return fmt.Errorf("find protected referral: %w", err)
	}
	if r.Domain == "" {
		return nil
	}
	err = tx.QueryRowContext(ctx, `
		SELECT id FROM referrals
		WHERE program_id = $1 AND domain = $2 AND partner_id <> $3 AND status <> 'duplicate' AND protected_until > $4
		ORDER BY created_at, id LIMIT 1`, r.ProgramID, r.Domain, r.PartnerID, ms(tx.now)).Scan(&id)
	if err == nil {
		r.Conflict, r.ConflictWithID = tandem.ConflictPossibleDuplicate, id
		return nil
	} else if !isNoRows(err) {
		return fmt.Errorf("find referral by domain: %w", err)
	}
	return nil
}

// dateLayout is how reasons and emails write a date.
const dateLayout = "2 Jan 2006"

func alreadyRegistered(email string) error {
	return &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: fmt.Sprintf("You have already registered %s in this program.", email)}
}

// optionalMs stores the zero time as NULL.
func optionalMs(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// referralChange is one move of a referral along the pipeline.
type referralChange struct {
	To     tandem.ReferralStatus
	Reason string
	// CustomerID and At: for the move to customer, the customer the sale
	// was attributed to and when it happened.
	CustomerID string
	At         time.Time
	// byConversion: the move is a conversion's doing (see writeReferrals),
	// so the move to qualified records no lead_qualified conversion.
	byConversion bool
}

// changeReferralStatus is the one place a referral's status changes: it
// checks the transition and the reason, updates the row only if its status
// is still the one read (else ECONFLICT), and writes the history row, the
// audit entry and the partner's email. A move to qualified that no
// conversion made records the referral's lead_qualified conversion
// (recordReferralLead), so the plan's lead fee is earned in the same
// transaction, once per referral.
func (tx *Tx) changeReferralStatus(ctx context.Context, id string, ch referralChange) (*tandem.Referral, error) {
	r, err := findReferral(ctx, tx, tandem.ReferralFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if !ch.To.Valid() {
		return nil, tandem.Invalidf("status", "Status must be one of new, qualified, customer, rejected, duplicate or lost.")
	}
	if !r.Status.CanMoveTo(ch.To) {
		return nil, tandem.Invalidf("status", "A %s referral cannot become %s.", r.Status, ch.To)
	}
	if ch.To.NeedsReason() {
		if err := tandem.RequireText("reason", "Reason", &ch.Reason, tandem.MaxReason); err != nil {
			return nil, err
		}
	} else if ch.Reason = strings.TrimSpace(ch.Reason); utf8.RuneCountInString(ch.Reason) > tandem.MaxReason {
		return nil, tandem.Invalidf("reason", "Reason must be at most %d characters.", tandem.MaxReason)
	}
	from := r.Status
	r.Status, r.Reason, r.UpdatedAt = ch.To, ch.Reason, tx.now
	switch ch.To {
	case tandem.ReferralQualified:
		r.QualifiedAt = tx.now
	case tandem.ReferralCustomer:
		r.CustomerID, r.ConvertedAt = ch.CustomerID, ch.At
		if r.ConvertedAt.IsZero() {
			r.ConvertedAt = tx.now
		}
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE referrals SET status = $1, reason = $2, qualified_at = $3, customer_id = $4, converted_at = $5, updated_at = $6
		WHERE id = $7 AND status = $8`,
		r.Status, r.Reason, optionalMs(r.QualifiedAt), nullable(r.CustomerID), optionalMs(r.ConvertedAt), ms(tx.now), r.ID, from)
	if err != nil {
		return nil, fmt.Errorf("update referral: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, tandem.Errorf(tandem.ECONFLICT, "The referral changed meanwhile; reload it and try again.")
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM referral_events WHERE referral_id = $1`, r.ID).Scan(&seq); err != nil {
		return nil, err
	}
	if err := tx.addReferralEvent(ctx, r.ID, seq+1, from, r.Status, r.Reason); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, "referral.status", r.ID, map[string]string{"from": string(from), "to": string(r.Status), "reason": r.Reason, "customer_id": r.CustomerID}); err != nil {
		return nil, err
	}
	if ch.To == tandem.ReferralQualified && !ch.byConversion {
		if err := tx.recordReferralLead(ctx, r); err != nil {
			return nil, err
		}
	}
	program, err := findProgramByID(ctx, tx, r.ProgramID)
	if err != nil {
		return nil, err
	}
	return r, tx.emailReferral(ctx, program, r, "referral_status")
}

// ChangeReferralStatus moves a referral along the pipeline. A referral
// becomes a customer only through a sale (see writeReferrals).
func (s *ReferralService) ChangeReferralStatus(ctx context.Context, id string, to tandem.ReferralStatus, reason string) (*tandem.Referral, error) {
	if to == tandem.ReferralCustomer {
		return nil, tandem.Invalidf("status", "A referral becomes a customer when a sale is attributed to it.")
	}
	var r *tandem.Referral
	err := s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		r, err = tx.changeReferralStatus(ctx, id, referralChange{To: to, Reason: reason})
		return err
	})
	return r, err
}

func (tx *Tx) addReferralEvent(ctx context.Context, referralID string, seq int, from, to tandem.ReferralStatus, reason string) error {
	actor := tandem.ActorFrom(ctx)
	_, err := tx.ExecContext(ctx, `
		INSERT INTO referral_events (referral_id, seq, from_status, to_status, reason, actor_kind, actor_id, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, referralID, seq, from, to, reason, actor.Kind, actor.ID, ms(tx.now))
	if err != nil {
		return fmt.Errorf("insert referral event: %w", err)
	}
	return nil
}

// emailReferral tells the partner's portal users about their referral.
func (tx *Tx) emailReferral(ctx context.Context, program *tandem.Program, r *tandem.Referral, template string) error {
	return tx.emailPartner(ctx, r.PartnerID, template, emailData{ProgramName: program.Name, Referral: r.PartnerTitle(),
		Status: string(r.Status), Reason: r.Reason, LinkPath: "/portal/referrals/" + r.ID})
}
