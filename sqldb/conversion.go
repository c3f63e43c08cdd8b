package sqldb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
	"github.com/tandem-prm/tandem/commission"
)

// ConversionService records the events merchants report: it attributes each
// to a partner, judges its commissions and posts them to the ledger. Each
// event is atomic on its own; concurrent single events share transactions
// (group commit) and a batch is written with multi-row statements, so an
// event costs a fraction of a commit and a few statements' share.
type ConversionService struct {
	db    *DB
	group *groupCommit
}

var _ tandem.ConversionService = (*ConversionService)(nil)

// NewConversionService returns the conversions of db.
func NewConversionService(db *DB) *ConversionService {
	s := &ConversionService{db: db}
	// SQLite has one writer: one batch at a time, the next one gathering
	// meanwhile. PostgreSQL overlaps two: one judging while
	// the other commits (more only queue on the same balance rows).
	leaders := 1
	if db.dialect == Postgres {
		leaders = 2
	}
	s.group = newGroupCommit(leaders, maxGroup, s.record)
	return s
}

// maxGroup is the most single events one group commit takes.
const maxGroup = 256

// RecordConversion records one event. The same event ID (per program), or
// the same idempotencyKey, with the same content answers the conversion
// already recorded (Replayed) and changes nothing; with other content it is
// ECONFLICT and changes nothing. It returns once the event is committed,
// usually in a transaction shared with concurrent calls.
func (s *ConversionService) RecordConversion(ctx context.Context, in tandem.ConversionInput, idempotencyKey string) (tandem.ConversionResult, error) {
	res := s.group.do(ctx, conversionEvent{in: in, key: idempotencyKey})
	return res, res.Err
}

// RecordConversions records up to tandem.MaxBulkEvents events in one
// transaction, each atomically on its own: an event that fails leaves no
// trace and does not fail the others. Results are in the order of ins.
func (s *ConversionService) RecordConversions(ctx context.Context, ins []tandem.ConversionInput) ([]tandem.ConversionResult, error) {
	if len(ins) == 0 || len(ins) > tandem.MaxBulkEvents {
		return nil, tandem.Invalidf("events", "Send 1 to %d events.", tandem.MaxBulkEvents)
	}
	evs := make([]conversionEvent, len(ins))
	for i, in := range ins {
		evs[i] = conversionEvent{in: in}
	}
	return s.record(ctx, evs)
}

// conversionEvent is one event to record, with the Idempotency-Key of its request.
type conversionEvent struct {
	in  tandem.ConversionInput
	key string
}

// record runs the events in one write transaction (see recorder.run). A
// deadlock or serialization failure (PostgreSQL, concurrent writers)
// retries the whole transaction; so does a first batch that could not be
// written, one event at a time.
func (s *ConversionService) record(ctx context.Context, evs []conversionEvent) ([]tandem.ConversionResult, error) {
	oneByOne := false
	for attempt := 0; ; {
		results := make([]tandem.ConversionResult, len(evs))
		err := s.db.inWriteTx(ctx, func(tx *Tx) error {
			r := newRecorder(tx)
			r.oneByOne = oneByOne
			return r.run(ctx, evs, results)
		})
		switch {
		case err == nil:
			return results, nil
		case errors.Is(err, errBatchUnwritten) && !oneByOne:
			oneByOne = true
		case isRetryable(err) && attempt < 3:
			attempt++
		default:
			return nil, err
		}
	}
}

// isRetryable reports whether a PostgreSQL error means "try the transaction
// again": a deadlock or a serialization failure.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// requestHash is the SHA-256 of the event's canonical form (the input after
// trimming, before defaults), to tell a retry from a different event.
func requestHash(in tandem.ConversionInput) string {
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// errRaced means a concurrent transaction recorded the same event first.
var errRaced = errors.New("event recorded concurrently")

// recordOne records one event inside a savepoint.
func (r *recorder) recordOne(ctx context.Context, in tandem.ConversionInput, idempotencyKey string, i int) tandem.ConversionResult {
	tx := r.tx
	in.Normalize()
	hash := requestHash(in) // before defaults: a retry without a time is the same request
	if in.OccurredAt.IsZero() {
		in.OccurredAt = tx.now
	}
	if err := in.Validate(tx.now); err != nil {
		return tandem.ConversionResult{Err: err}
	}
	if idempotencyKey != "" {
		if res, done := r.replayKey(ctx, idempotencyKey, hash); done {
			return res
		}
	}
	if res, done := r.replayEvent(ctx, in, hash); done {
		return res
	}
	savepoint := fmt.Sprintf("event_%d", i)
	var c *tandem.Conversion
	record := func() error {
		var err error
		if c, err = r.insert(ctx, in, hash); err != nil {
			return err
		}
		if idempotencyKey != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, conversion_id, created_at) VALUES ($1, $2, $3, $4)`,
				idempotencyKey, hash, c.ID, ms(tx.now)); isUniqueViolation(err) {
				return errRaced
			} else if err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
		}
		return nil
	}
	err := tx.savepoint(ctx, savepoint, record)
	if isUniqueViolation(err) {
		// A concurrent transaction (another instance, the partner in the
		// portal) stored the referral this event meant to make for the
		// partner's email: the event is judged again with what is stored.
		r.refs = newReferralCache()
		err = tx.savepoint(ctx, savepoint, record)
	}
	if errors.Is(err, errRaced) {
		if idempotencyKey != "" {
			if res, done := r.replayKey(ctx, idempotencyKey, hash); done {
				return res
			}
		}
		if res, done := r.replayEvent(ctx, in, hash); done {
			return res
		}
		return tandem.ConversionResult{Err: tandem.Errorf(tandem.ECONFLICT, "The event is being recorded by another request; try again.")}
	}
	if err != nil {
		return tandem.ConversionResult{Err: err}
	}
	return tandem.ConversionResult{Conversion: c}
}

// replayKey answers a request whose Idempotency-Key was seen before.
func (r *recorder) replayKey(ctx context.Context, key, hash string) (tandem.ConversionResult, bool) {
	var storedHash, id string
	err := r.tx.QueryRowContext(ctx, `SELECT request_hash, conversion_id FROM idempotency_keys WHERE key = $1`, key).Scan(&storedHash, &id)
	if isNoRows(err) {
		return tandem.ConversionResult{}, false
	} else if err != nil {
		return tandem.ConversionResult{Err: fmt.Errorf("find idempotency key: %w", err)}, true
	}
	if storedHash != hash {
		return tandem.ConversionResult{Err: &tandem.Error{Code: tandem.ECONFLICT, Field: "Idempotency-Key",
			Message: "This Idempotency-Key was used for a different request; use a new key for a new event."}}, true
	}
	c, err := findConversion(ctx, r.tx, "c.id = $1", id)
	return tandem.ConversionResult{Conversion: c, Replayed: true, Err: err}, true
}

// replayEvent answers an event whose ID was recorded before in the program.
func (r *recorder) replayEvent(ctx context.Context, in tandem.ConversionInput, hash string) (tandem.ConversionResult, bool) {
	c, err := findConversion(ctx, r.tx, "c.program_id = $1 AND c.event_id = $2", in.ProgramID, in.EventID)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return tandem.ConversionResult{}, false
	} else if err != nil {
		return tandem.ConversionResult{Err: err}, true
	}
	var storedHash string
	if err := r.tx.QueryRowContext(ctx, `SELECT request_hash FROM conversions WHERE id = $1`, c.ID).Scan(&storedHash); err != nil {
		return tandem.ConversionResult{Err: fmt.Errorf("find conversion hash: %w", err)}, true
	}
	if storedHash != hash {
		return tandem.ConversionResult{Err: &tandem.Error{Code: tandem.ECONFLICT, Field: "event_id",
			Message: fmt.Sprintf("Event %q was already recorded with different content; events are immutable, so send a new event ID (a refund, say).", in.EventID)}}, true
	}
	return tandem.ConversionResult{Conversion: c, Replayed: true}, true
}

// insert records a new event: attribution, the customer, the conversion
// row, and for earning events the commissions and their postings.
func (r *recorder) insert(ctx context.Context, in tandem.ConversionInput, hash string) (*tandem.Conversion, error) {
	tx := r.tx
	p, err := r.program(ctx, in.ProgramID)
	if err != nil {
		return nil, err
	}
	c := newConversion(p, in, tx.now)
	switch in.Kind {
	case tandem.ConversionRefund:
		return r.refund(ctx, p, c, in, hash)
	case tandem.ConversionCancellation:
		return r.cancellation(ctx, p, c, in, hash)
	}
	cust, err := r.customer(ctx, p, in)
	if err != nil {
		return nil, err
	}
	out, firstSale, eff, err := r.attributeAndJudge(ctx, p, c, cust, in)
	if err != nil {
		return nil, err
	}
	if err := tx.insertConversion(ctx, c, hash); err != nil {
		return nil, err
	}
	if cust != nil && in.Kind != tandem.ConversionLeadQualified {
		if err := r.updateCustomer(ctx, cust, c, firstSale); err != nil {
			return nil, err
		}
	}
	if err := r.storeCommissions(ctx, c, out); err != nil {
		return nil, err
	}
	if eff != nil {
		if err := r.writeReferrals(ctx, []*referralEffect{eff}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// newConversion returns the conversion an event makes, before attribution.
func newConversion(p *tandem.Program, in tandem.ConversionInput, now time.Time) *tandem.Conversion {
	c := &tandem.Conversion{ID: newTimeID(tandem.PrefixConversion, now), ProgramID: p.ID, Kind: in.Kind, Source: in.Source,
		EventID: in.EventID, OccurredAt: in.OccurredAt, ReceivedAt: now, Amount: in.Amount, Currency: in.Currency,
		ClickID: in.ClickID, Coupon: in.Coupon, ReferralID: in.ReferralID, Product: in.Product, Metadata: in.Metadata,
		Attribution: string(attribution.SourceNone)}
	if c.Currency == "" {
		c.Currency = p.Currency
	}
	return c
}

// attributeAndJudge attributes a sale, renewal or lead of the customer
// (nil for a lead without one) and judges what it earns: c gets its
// partner, customer and no-commission reason. It reads only. firstSale
// reports whether c is the customer's first sale; the effect is what c does
// to the referral pipeline, for the caller to write (nil for nothing).
func (r *recorder) attributeAndJudge(ctx context.Context, p *tandem.Program, c *tandem.Conversion, cust *customerRow, in tandem.ConversionInput) (commission.Outcome, bool, *referralEffect, error) {
	if in.Kind == tandem.ConversionRenewal && cust != nil && cust.Cancelled {
		return commission.Outcome{}, false, nil, tandem.Invalidf("customer", "The customer's subscription was cancelled; a renewal after a cancellation is refused. Report a new sale if they subscribed again.")
	}
	if err := r.attribute(ctx, p, c, cust, in); err != nil {
		return commission.Outcome{}, false, nil, err
	}
	firstSale := false
	firstSaleAt := c.OccurredAt
	if cust != nil {
		c.CustomerID = cust.ID
		if !cust.FirstSaleAt.IsZero() {
			firstSaleAt = cust.FirstSaleAt
		}
		if in.Kind == tandem.ConversionSale && !cust.hadSale {
			firstSale = true
			firstSaleAt = c.OccurredAt
		}
	}
	eff, err := r.referralEffect(ctx, p, c, cust, in, firstSale)
	if err != nil {
		return commission.Outcome{}, false, nil, err
	}
	var out commission.Outcome
	if eff != nil && eff.noFee != "" {
		out.NoCommission = eff.noFee
	} else if out, err = r.judge(ctx, p, c, firstSale, firstSaleAt); err != nil {
		return commission.Outcome{}, false, nil, err
	}
	c.NoCommission = out.NoCommission
	return out, firstSale, eff, nil
}

const conversionInsert = `INSERT INTO conversions (id, program_id, kind, source, event_id, request_hash, occurred_at, received_at, amount,
	currency, customer_id, partner_id, parent_id, click_id, coupon, referral_id, product, metadata, attribution,
	attribution_explanation, no_commission_reason)`

// conversionRow is the values of conversionInsert for c.
func conversionRow(c *tandem.Conversion, hash string) []any {
	return []any{c.ID, c.ProgramID, c.Kind, c.Source, c.EventID, hash, ms(c.OccurredAt), ms(c.ReceivedAt), c.Amount, c.Currency,
		nullable(c.CustomerID), nullable(c.PartnerID), nullable(c.ParentID), c.ClickID, c.Coupon, c.ReferralID, c.Product,
		string(c.Metadata), c.Attribution, c.Explanation, c.NoCommission}
}

// insertConversion stores the conversion row. A concurrent transaction that
// stored the same event first makes it errRaced.
func (tx *Tx) insertConversion(ctx context.Context, c *tandem.Conversion, hash string) error {
	n, err := tx.insertRows(ctx, conversionInsert, `ON CONFLICT (program_id, event_id) DO NOTHING`, [][]any{conversionRow(c, hash)})
	if err != nil {
		return fmt.Errorf("insert conversion: %w", err)
	} else if n == 0 {
		return errRaced
	}
	return nil
}

// nullable turns "" into NULL for optional foreign keys.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// customerRow is a customer as the recorder needs it.
type customerRow struct {
	tandem.Customer
	lockedAt time.Time
	hadSale  bool // a sale was recorded for the customer before
	// What a batch did to the customer, written when the batch is.
	stored, touched                           bool
	emailChanged, lockChanged, firstSaleDated bool
}

// customerKey is the customer's external_id: the merchant's customer ID or,
// without one, "email:" and the email; "" for an event without customer.
func customerKey(in tandem.ConversionInput) string {
	if in.CustomerID == "" && in.CustomerEmail != "" {
		return "email:" + in.CustomerEmail
	}
	return in.CustomerID
}

const customerQuery = `SELECT id, external_id, email, partner_id, attribution, attributed_at, first_sale_at, cancelled_at, created_at
	FROM customers WHERE program_id = $1 AND external_id `

// scanCustomer reads a row of customerQuery.
func scanCustomer(programID string, scan func(...any) error) (*customerRow, error) {
	c := &customerRow{stored: true}
	var partnerID *string
	var cancelled *int64
	if err := scan(&c.ID, &c.ExternalID, &c.Email, &partnerID, &c.Attribution, timeCol(&c.lockedAt), timeCol(&c.FirstSaleAt),
		&cancelled, timeCol(&c.CreatedAt)); err != nil {
		return nil, err
	}
	c.ProgramID = programID
	if partnerID != nil {
		c.PartnerID = *partnerID
	}
	c.Cancelled = cancelled != nil
	c.hadSale = !c.FirstSaleAt.IsZero()
	return c, nil
}

// customer finds or creates the event's customer, keyed by customerKey. A
// lead is not a customer: it only finds one that exists (whose lifetime
// lock then attributes it), and has none otherwise.
func (r *recorder) customer(ctx context.Context, p *tandem.Program, in tandem.ConversionInput) (*customerRow, error) {
	key := customerKey(in)
	if key == "" {
		return nil, nil
	}
	tx := r.tx
	if in.Kind == tandem.ConversionLeadQualified {
		c, err := scanCustomer(p.ID, tx.QueryRowContext(ctx, customerQuery+`= $2`, p.ID, key).Scan)
		if isNoRows(err) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("find customer: %w", err)
		}
		return c, nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO customers (id, program_id, external_id, email, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (program_id, external_id) DO NOTHING`,
		newTimeID(tandem.PrefixCustomer, tx.now), p.ID, key, in.CustomerEmail, ms(tx.now)); err != nil {
		return nil, fmt.Errorf("insert customer: %w", err)
	}
	c, err := scanCustomer(p.ID, tx.QueryRowContext(ctx, customerQuery+`= $2`, p.ID, key).Scan)
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	if c.Email == "" && in.CustomerEmail != "" {
		c.Email = in.CustomerEmail
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1 WHERE id = $2`, c.Email, c.ID); err != nil {
			return nil, fmt.Errorf("update customer email: %w", err)
		}
	}
	return c, nil
}

// updateCustomer locks the customer to the partner of their first
// attributed conversion, and records their first sale.
func (r *recorder) updateCustomer(ctx context.Context, cust *customerRow, c *tandem.Conversion, firstSale bool) error {
	if c.PartnerID != "" && cust.PartnerID == "" {
		cust.PartnerID, cust.Attribution, cust.lockedAt, cust.lockChanged = c.PartnerID, c.Attribution, c.OccurredAt, true
	}
	if firstSale {
		cust.FirstSaleAt, cust.firstSaleDated = c.OccurredAt, true
	}
	return r.updateStoredCustomer(ctx, cust)
}

// attribute decides the conversion's partner with package attribution.
func (r *recorder) attribute(ctx context.Context, p *tandem.Program, c *tandem.Conversion, cust *customerRow, in tandem.ConversionInput) error {
	ai := attribution.Input{
		Program:    attribution.Program{CookieDays: p.CookieDays, Model: p.Attribution},
		OccurredAt: c.OccurredAt,
		Partners:   map[string]attribution.Partner{},
	}
	var partnerIDs []string
	if cust != nil && cust.PartnerID != "" {
		ai.Lock = &attribution.Lock{CustomerID: cust.ID, PartnerID: cust.PartnerID}
		partnerIDs = append(partnerIDs, cust.PartnerID)
	}
	if in.Coupon != "" {
		cp, err := r.coupon(ctx, p.ID, in.Coupon)
		if err != nil {
			return err
		}
		ai.Coupon = &cp
		partnerIDs = append(partnerIDs, cp.PartnerID)
	}
	if in.ClickID != "" {
		k, err := r.click(ctx, p.ID, in.ClickID)
		if err != nil {
			return err
		} else if k == nil {
			return tandem.Invalidf("click_id", "No click %q in this program: pass the value of tandem.clickId() or of the tandem_click parameter.", in.ClickID)
		}
		if k.attributable || k.Bot { // a click made while its partner could not earn never attributes
			ai.Clicks = []attribution.Click{k.Click}
			partnerIDs = append(partnerIDs, k.PartnerID)
		}
	}
	if err := r.referral(ctx, p, c, cust, in, &ai, &partnerIDs); err != nil {
		return err
	}
	if err := r.partners(ctx, p.ID, partnerIDs, ai.Partners); err != nil {
		return err
	}
	res := attribution.Decide(ai)
	c.PartnerID, c.Attribution, c.Explanation = res.PartnerID, string(res.Source), res.Explanation
	if res.Source == attribution.SourceReferral {
		c.ReferralID = res.ReferralID
	}
	return nil
}

// referral adds the referral the event names to the attribution input: it
// must be one of the program's; a duplicate of another partner's referral
// stands for that referral while it holds the email (first registration
// wins), and for itself once that one was turned down or its protection
// ended. An event naming none, of a customer not
// locked yet, gets the referral protecting the customer's email, if any
// (see protectingReferral): so a sale after a lead goes to the lead's
// partner. Like all of attribute it must only read: in a batch it runs
// before anything is written (see recorder.stage), so a write belongs with
// the batch's writes (writeBatch) and the per-event path (insert).
func (r *recorder) referral(ctx context.Context, p *tandem.Program, c *tandem.Conversion, cust *customerRow, in tandem.ConversionInput, ai *attribution.Input, partnerIDs *[]string) error {
	var ref *referralRow
	var err error
	switch {
	case in.ReferralID != "":
		if ref, err = r.referralByID(ctx, p.ID, in.ReferralID); err == nil && ref == nil {
			return tandem.Invalidf("referral_id", "No referral %q in this program.", in.ReferralID)
		}
		if err == nil && ref.duplicateOf != "" { // first registration wins: the event is the original's while it holds the email
			var original *referralRow
			if original, err = r.referralByID(ctx, p.ID, ref.duplicateOf); original != nil && original.protects(c.OccurredAt) {
				ref = original
			}
		}
	case cust == nil || cust.PartnerID == "":
		ref, err = r.protectingReferral(ctx, p.ID, cust, in, c.OccurredAt)
	}
	if err != nil || ref == nil {
		return err
	}
	ai.Referral = &attribution.Referral{ID: ref.id, PartnerID: ref.partnerID}
	*partnerIDs = append(*partnerIDs, ref.partnerID)
	return nil
}

// partners loads the memberships of the partners attribution considers.
func (r *recorder) partners(ctx context.Context, programID string, ids []string, into map[string]attribution.Partner) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := into[id]; ok {
			continue
		}
		pa, err := r.membership(ctx, programID, id)
		if err != nil {
			return err
		}
		if pa != nil { // not a member: attribution skips them
			into[id] = *pa
		}
	}
	return nil
}

// savepoint runs fn inside a savepoint: if fn fails, what it wrote (and the
// balance changes it queued) is undone and the transaction goes on.
func (tx *Tx) savepoint(ctx context.Context, name string, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	outer := tx.deltas
	tx.deltas = map[tandem.Account]int64{}
	err := fn()
	inner := tx.deltas
	tx.deltas = outer
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("rollback to savepoint: %w (after %w)", rerr, err)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	if tx.deltas == nil {
		tx.deltas = map[tandem.Account]int64{}
	}
	for a, v := range inner {
		tx.deltas[a] += v
	}
	return nil
}

// findConversion returns one conversion with its commissions.
func findConversion(ctx context.Context, tx *Tx, cond string, args ...any) (*tandem.Conversion, error) {
	cs, err := findConversions(ctx, tx, cond+" LIMIT 1", args...)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Conversion not found.")
	}
	c := cs[0]
	if c.Commissions, err = findCommissions(ctx, tx, tandem.CommissionFilter{ConversionID: c.ID, Limit: 100}); err != nil {
		return nil, err
	}
	return c, nil
}

const conversionColumns = `c.id, c.program_id, c.kind, c.source, c.event_id, c.occurred_at, c.received_at, c.amount, c.currency,
	COALESCE(c.customer_id, ''), COALESCE(c.partner_id, ''), COALESCE(c.parent_id, ''), c.click_id, c.coupon, c.referral_id,
	c.product, c.metadata, c.attribution, c.attribution_explanation, c.no_commission_reason, c.refunded`

// findConversions returns the conversions matching a WHERE condition (which
// may end with ORDER BY and LIMIT).
func findConversions(ctx context.Context, tx *Tx, cond string, args ...any) ([]*tandem.Conversion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+conversionColumns+` FROM conversions c WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("find conversions: %w", err)
	}
	defer rows.Close()
	var out []*tandem.Conversion
	for rows.Next() {
		c := &tandem.Conversion{Commissions: []*tandem.Commission{}}
		var meta string
		if err := rows.Scan(&c.ID, &c.ProgramID, &c.Kind, &c.Source, &c.EventID, timeCol(&c.OccurredAt), timeCol(&c.ReceivedAt),
			&c.Amount, &c.Currency, &c.CustomerID, &c.PartnerID, &c.ParentID, &c.ClickID, &c.Coupon, &c.ReferralID,
			&c.Product, &meta, &c.Attribution, &c.Explanation, &c.NoCommission, &c.Refunded); err != nil {
			return nil, fmt.Errorf("find conversions: %w", err)
		}
		if meta != "" {
			c.Metadata = json.RawMessage(meta)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Conversions lists a program's conversions, newest first.
func (s *ConversionService) Conversions(ctx context.Context, f tandem.ConversionFilter) ([]*tandem.Conversion, error) {
	var out []*tandem.Conversion
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var w where
		w.eq("c.program_id", f.ProgramID)
		w.eq("c.partner_id", f.PartnerID)
		w.eq("c.kind", string(f.Kind))
		cond := strings.TrimPrefix(w.String(), "WHERE ")
		if cond == "" {
			cond = "1 = 1"
		}
		var err error
		out, err = findConversions(ctx, tx, cond+fmt.Sprintf(" ORDER BY c.received_at DESC, c.id DESC LIMIT %d", limit(f.Limit)), w.args...)
		return err
	})
	return out, err
}

// Conversion returns one conversion with its commissions.
func (s *ConversionService) Conversion(ctx context.Context, id string) (*tandem.Conversion, error) {
	var c *tandem.Conversion
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var err error
		c, err = findConversion(ctx, tx, "c.id = $1", id)
		return err
	})
	return c, err
}
