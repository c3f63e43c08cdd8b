package sqldb

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

// What conversions do to the referral pipeline. A sale attributed to a
// referral makes it a customer; a lead_qualified event qualifies it and
// earns the plan's lead fee, once per referral. A sale or lead attributed
// otherwise (a click, a coupon, the lifetime lock) is the partner's
// referral too: it moves the partner's referral of the customer's email,
// or makes an implicit one (source conversion) already in its final
// status, without conflict judging (the sale decided attribution).
//
// Deciding reads only (it runs in recorder.stage before a batch is
// written); the writes go with the event's (recorder.insert) or the
// batch's (writeBatch), through writeReferrals.

// referralRow is a referral as the recorder needs it.
type referralRow struct {
	id, partnerID, email, customerID string
	// duplicateOf: the other partner's referral this one duplicates
	// (first registration wins), for a duplicate of one.
	duplicateOf               string
	status                    tandem.ReferralStatus
	createdAt, protectedUntil time.Time
	// hasLead: a lead_qualified conversion names the referral and earned
	// (no no-commission reason): its lead fee is earned. A lead event
	// that earned nothing (the referral was turned down then) does not
	// count: reopened and qualified, the referral earns its fee.
	hasLead bool
}

// referralCache is what the recorder keeps of referrals, for the events of
// a batch (forgotten with the customers).
type referralCache struct {
	byID    map[string]*referralRow      // nil: no such referral
	byEmail map[[2]string][]*referralRow // program and email: every partner's
}

func newReferralCache() referralCache {
	return referralCache{byID: map[string]*referralRow{}, byEmail: map[[2]string][]*referralRow{}}
}

const referralRowQuery = `SELECT r.id, r.program_id, r.partner_id, r.email, COALESCE(r.customer_id, ''),
	CASE WHEN r.status = 'duplicate' AND r.conflict = 'protected_by_other' THEN r.conflict_with_id ELSE '' END,
	r.status, r.created_at, r.protected_until,
	EXISTS (SELECT 1 FROM conversions v WHERE v.program_id = r.program_id AND v.referral_id = r.id AND v.referral_id <> ''
		AND v.kind = 'lead_qualified' AND v.no_commission_reason = '')
	FROM referrals r WHERE r.program_id = $1 AND `

// loadReferrals reads the program's referrals by ID or by email (column
// "r.id" or "r.email"), in one query, into the cache.
func (r *recorder) loadReferrals(ctx context.Context, programID, column string, values []string) error {
	args := []any{programID}
	for _, v := range values {
		if column == "r.id" {
			if _, ok := r.refs.byID[v]; !ok {
				r.refs.byID[v] = nil
				args = append(args, v)
			}
		} else if _, ok := r.refs.byEmail[[2]string{programID, v}]; !ok && v != "" {
			r.refs.byEmail[[2]string{programID, v}] = []*referralRow{}
			args = append(args, v)
		}
	}
	if len(args) == 1 {
		return nil
	}
	in := ` IN (` + r.tx.params(2, len(args)-1) + `)`
	if r.lockReferrals {
		// The referrals stay locked until the transaction ends, and the read
		// below (a statement of its own: a new snapshot) comes after the
		// lock: so whether a referral's lead fee is earned (hasLead) is read
		// after any other transaction that moved or paid it has committed
		// (a manager qualifying it locks it by its update), and a referral
		// earns its lead fee once. Only transactions that record leads lock:
		// sales move referrals under changeReferralStatus's own check.
		// SQLite has one writer.
		if _, err := r.tx.ExecContext(ctx, `SELECT r.id FROM referrals r WHERE r.program_id = $1 AND `+column+in+` ORDER BY r.id FOR UPDATE`, args...); err != nil {
			return fmt.Errorf("lock referrals: %w", err)
		}
	}
	rows, err := r.tx.QueryContext(ctx, referralRowQuery+column+in, args...)
	if err != nil {
		return fmt.Errorf("find referrals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref referralRow
		var program string
		if err := rows.Scan(&ref.id, &program, &ref.partnerID, &ref.email, &ref.customerID, &ref.duplicateOf, &ref.status, timeCol(&ref.createdAt),
			timeCol(&ref.protectedUntil), &ref.hasLead); err != nil {
			return fmt.Errorf("find referrals: %w", err)
		}
		r.remember(program, &ref)
	}
	return rows.Err()
}

// remember puts a referral in the cache under its ID, and under its email
// if the email's referrals are loaded (else a lookup by email must still
// read them all). A referral already cached stays as it is: the batch may
// have moved it.
func (r *recorder) remember(programID string, ref *referralRow) {
	if old := r.refs.byID[ref.id]; old != nil {
		ref = old
	} else {
		r.refs.byID[ref.id] = ref
	}
	key := [2]string{programID, ref.email}
	if list, loaded := r.refs.byEmail[key]; loaded && ref.email != "" && !slices.Contains(list, ref) {
		r.refs.byEmail[key] = append(list, ref)
	}
}

// referralByID returns the program's referral, or nil.
func (r *recorder) referralByID(ctx context.Context, programID, id string) (*referralRow, error) {
	if err := r.loadReferrals(ctx, programID, "r.id", []string{id}); err != nil {
		return nil, err
	}
	return r.refs.byID[id], nil
}

// partnerReferralByEmail returns the partner's referral of the email in
// the program, or nil.
func (r *recorder) partnerReferralByEmail(ctx context.Context, programID, partnerID, email string) (*referralRow, error) {
	if email == "" {
		return nil, nil
	}
	if err := r.loadReferrals(ctx, programID, "r.email", []string{email}); err != nil {
		return nil, err
	}
	for _, ref := range r.refs.byEmail[[2]string{programID, email}] {
		if ref.partnerID == partnerID {
			return ref, nil
		}
	}
	return nil, nil
}

// eventEmail is the email of an event's customer: the event's, else the
// stored customer's.
func eventEmail(cust *customerRow, in tandem.ConversionInput) string {
	if in.CustomerEmail == "" && cust != nil {
		return cust.Email
	}
	return in.CustomerEmail
}

// protects reports whether the referral holds its email at the time: new
// or qualified, and protected past it.
func (ref *referralRow) protects(at time.Time) bool {
	return (ref.status == tandem.ReferralNew || ref.status == tandem.ReferralQualified) && ref.protectedUntil.After(at)
}

// protectingReferral returns the program's referral that holds the
// customer's email at the time of the event, or nil: the earliest
// registered of those still new or qualified whose protection lasts past
// it (first registration wins, as for conflicts).
func (r *recorder) protectingReferral(ctx context.Context, programID string, cust *customerRow, in tandem.ConversionInput, at time.Time) (*referralRow, error) {
	email := eventEmail(cust, in)
	if email == "" {
		return nil, nil
	}
	if err := r.loadReferrals(ctx, programID, "r.email", []string{email}); err != nil {
		return nil, err
	}
	var best *referralRow
	for _, ref := range r.refs.byEmail[[2]string{programID, email}] {
		if ref.protects(at) && (best == nil || ref.createdAt.Before(best.createdAt) ||
			ref.createdAt.Equal(best.createdAt) && ref.id < best.id) {
			best = ref
		}
	}
	return best, nil
}

// prefetchReferrals reads the referrals of the emails of a batch's sales,
// renewals and leads, in one query per program.
func (r *recorder) prefetchReferrals(ctx context.Context, ins []tandem.ConversionInput, valid []bool) error {
	emails := map[string][]string{}
	for i, in := range ins {
		if valid[i] && in.CustomerEmail != "" && in.Kind != tandem.ConversionRefund && in.Kind != tandem.ConversionCancellation {
			emails[in.ProgramID] = append(emails[in.ProgramID], in.CustomerEmail)
		}
	}
	for programID, list := range emails {
		if err := r.loadReferrals(ctx, programID, "r.email", list); err != nil {
			return err
		}
	}
	return nil
}

// referralEffect is what an event does to a referral, written with it.
type referralEffect struct {
	// ref is the referral to move to status to; create, an implicit
	// referral to insert, already in its status.
	ref    *referralRow
	to     tandem.ReferralStatus
	create *tandem.Referral
	// customerID and at: for the move to customer.
	customerID string
	at         time.Time
	// noFee: why the event, a lead of a referral whose lead fee is already
	// earned or which was turned down, earns nothing.
	noFee string
}

// referralEffect decides what an attributed sale or lead does to the
// pipeline (see the top of this file); nil for nothing. A lead's
// conversion gets the referral's ID. It reads only.
func (r *recorder) referralEffect(ctx context.Context, p *tandem.Program, c *tandem.Conversion, cust *customerRow, in tandem.ConversionInput, firstSale bool) (*referralEffect, error) {
	if c.PartnerID == "" || c.Kind != tandem.ConversionSale && c.Kind != tandem.ConversionLeadQualified {
		return nil, nil
	}
	var ref *referralRow
	var err error
	if c.Attribution == string(attribution.SourceReferral) {
		ref, err = r.referralByID(ctx, p.ID, c.ReferralID)
	} else {
		// A sale makes (or moves) a referral when it is the customer's
		// first, or the first attributed: once per customer.
		if c.Kind == tandem.ConversionSale && (cust == nil || !firstSale && cust.PartnerID != "") {
			return nil, nil
		}
		email := eventEmail(cust, in)
		if email == "" && c.Kind == tandem.ConversionLeadQualified {
			return nil, nil // a lead known by nothing a later event could find it by: no referral
		}
		if ref, err = r.partnerReferralByEmail(ctx, p.ID, c.PartnerID, email); err == nil && ref == nil {
			return r.implicitReferral(p, c, cust, email)
		}
	}
	if err != nil || ref == nil {
		return nil, err
	}
	if c.Kind == tandem.ConversionLeadQualified {
		c.ReferralID = ref.id
		switch {
		case ref.hasLead:
			return &referralEffect{noFee: fmt.Sprintf("Referral %s was qualified before: a referral earns its lead fee once.", ref.id)}, nil
		case ref.status.TurnedDown():
			return &referralEffect{noFee: fmt.Sprintf("Referral %s is %s: it earns no lead fee.", ref.id, ref.status)}, nil
		}
		if ref.status.CanMoveTo(tandem.ReferralQualified) {
			return &referralEffect{ref: ref, to: tandem.ReferralQualified}, nil
		}
		return &referralEffect{ref: ref}, nil // a customer's: earns, stays where it is
	}
	if cust != nil && ref.status.CanMoveTo(tandem.ReferralCustomer) {
		return &referralEffect{ref: ref, to: tandem.ReferralCustomer, customerID: cust.ID, at: c.OccurredAt}, nil
	}
	return nil, nil
}

// implicitReferral is the referral a sale or lead makes for its partner:
// customer (through the sale's customer) or qualified, with the email of
// the customer and the link of the click, if any.
func (r *recorder) implicitReferral(p *tandem.Program, c *tandem.Conversion, cust *customerRow, email string) (*referralEffect, error) {
	in := tandem.ReferralInput{ProgramID: p.ID, PartnerID: c.PartnerID, Source: tandem.ReferralFromConversion, Email: email}
	byClick := c.Attribution == string(attribution.SourceFirstClick) || c.Attribution == string(attribution.SourceLastClick)
	if k := r.clicks[c.ClickID]; byClick && k != nil {
		in.LinkID = k.LinkID
	}
	ref, err := tandem.NewReferral(p, in)
	if err != nil {
		return nil, err
	}
	now := r.tx.now
	ref.ID, ref.CreatedAt, ref.UpdatedAt = newTimeID(tandem.PrefixReferral, now), now, now
	ref.ProtectedUntil = now.AddDate(0, 0, p.ProtectionDays)
	if c.Kind == tandem.ConversionSale {
		ref.Status, ref.CustomerID, ref.ConvertedAt = tandem.ReferralCustomer, cust.ID, c.OccurredAt
	} else {
		ref.Status, ref.QualifiedAt = tandem.ReferralQualified, now
		c.ReferralID = ref.ID
	}
	return &referralEffect{create: ref}, nil
}

// keepReferral records an accepted event's effect in the cache, so that
// later events of the batch see it.
func (r *recorder) keepReferral(programID string, e *referralEffect, lead bool) {
	switch {
	case e == nil, e.create != nil && e.create.Email == "": // no later event can find it
	case e.create != nil: // with an email: later events find it by email
		r.remember(programID, &referralRow{id: e.create.ID, partnerID: e.create.PartnerID, email: e.create.Email,
			customerID: e.create.CustomerID, status: e.create.Status, createdAt: e.create.CreatedAt,
			protectedUntil: e.create.ProtectedUntil, hasLead: lead})
	case e.ref != nil:
		e.ref.hasLead = e.ref.hasLead || lead
		if e.to != "" {
			e.ref.status = e.to
		}
		if e.customerID != "" {
			e.ref.customerID = e.customerID
		}
	}
}

// writeReferrals writes the effects of recorded events: the implicit
// referrals with their history in two multi-row statements, and each move
// of an existing referral. An implicit referral's history is its creation
// in its status (from "" to customer or qualified), as for a referral
// created a duplicate: a second row (new, then customer) cost 10 µs more
// per bulk sale on SQLite (bench/README.md). A move refused
// because the referral changed meanwhile does not undo the event. The
// partner is not emailed about implicit referrals: the commission of the
// sale is what they see, and an email per sale (a query, an outbox row and
// a job) multiplied the CPU of a bulk sale by four (bench/README.md).
func (r *recorder) writeReferrals(ctx context.Context, effs []*referralEffect) error {
	tx := r.tx
	actor := tandem.ActorFrom(ctx)
	var refs, events [][]any
	for _, e := range effs {
		if f := e.create; f != nil {
			refs = append(refs, []any{f.ID, f.ProgramID, f.PartnerID, nullable(f.LinkID), f.Source, f.Email, f.Name, f.Company, f.Domain, f.Notes,
				f.ExpectedValue, f.Currency, f.Status, f.Reason, f.Conflict, f.ConflictWithID, nullable(f.CustomerID), ms(f.ProtectedUntil),
				optionalMs(f.QualifiedAt), optionalMs(f.ConvertedAt), ms(f.CreatedAt), ms(f.UpdatedAt)})
			events = append(events, []any{f.ID, 1, "", f.Status, "", actor.Kind, actor.ID, ms(tx.now)})
		}
	}
	if err := tx.insertAll(ctx, "referral", `INSERT INTO referrals (id, program_id, partner_id, link_id, source, email, name, company,
		domain, notes, expected_value, currency, status, reason, conflict, conflict_with_id, customer_id, protected_until, qualified_at,
		converted_at, created_at, updated_at)`, refs); err != nil {
		return err
	}
	if err := tx.insertAll(ctx, "referral event", `INSERT INTO referral_events (referral_id, seq, from_status, to_status, reason,
		actor_kind, actor_id, occurred_at)`, events); err != nil {
		return err
	}
	for _, e := range effs {
		if e.ref == nil || e.to == "" {
			continue
		}
		_, err := tx.changeReferralStatus(ctx, e.ref.id, referralChange{To: e.to, CustomerID: e.customerID, At: e.at, byConversion: true})
		if code := tandem.ErrorCode(err); code == tandem.EINVALID || code == tandem.ECONFLICT {
			continue
		} else if err != nil {
			return err
		}
	}
	return nil
}

// recordReferralLead records the lead_qualified conversion of a referral a
// manager (or the API) qualified, through the engine in tx, so that its
// lead fee and postings are written with the move. A referral whose lead
// fee is earned already (an event named it), or which was qualified before
// (its conversion exists, earning or not: reopened and qualified again),
// gets nothing new.
func (tx *Tx) recordReferralLead(ctx context.Context, ref *tandem.Referral) error {
	rec := newRecorder(tx)
	row, err := rec.referralByID(ctx, ref.ProgramID, ref.ID)
	if err != nil || row == nil || row.hasLead {
		return err
	}
	eventID := "referral_qualified:" + ref.ID
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversions WHERE program_id = $1 AND event_id = $2`, ref.ProgramID, eventID).Scan(&before); err != nil {
		return fmt.Errorf("find the referral's lead: %w", err)
	} else if before > 0 {
		return nil
	}
	res := rec.recordOne(ctx, tandem.ConversionInput{ProgramID: ref.ProgramID, Kind: tandem.ConversionLeadQualified,
		Source: tandem.SourceManual, EventID: eventID, ReferralID: ref.ID, OccurredAt: tx.now}, "", 0)
	return res.Err
}
