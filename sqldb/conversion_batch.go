package sqldb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/ledger"
)

// A conversionBatch is the new sales, renewals and leads of a transaction, judged in
// memory one after the other and written together with multi-row
// statements (see recorder.run). Events judged later see the earlier ones:
// the recorder keeps their customers, volumes and milestones.
type conversionBatch struct {
	events    []*stagedConversion
	customers []*customerRow // touched by the batch, in first-touch order
	gains     []volumeGain
}

// stagedConversion is an event of a batch, judged and waiting to be written.
type stagedConversion struct {
	i     int
	ev    conversionEvent
	hash  string
	c     *tandem.Conversion
	posts []tandem.Posting
	// referral is what the event does to the referral pipeline, if anything.
	referral *referralEffect
}

// volumeGain is what an event adds to its partner's volumes.
type volumeGain struct {
	programID, partnerID string
	at                   time.Time
	revenue, customers   int64
}

// run records the events, each atomically on its own, filling results. New
// sales, renewals and leads go into a batch; refunds, cancellations,
// replays and an event repeated within evs go one by one through
// recordOne, each in its own savepoint, after the batch before them is
// written (so they see it). An error returned is internal: the transaction
// must roll back.
func (r *recorder) run(ctx context.Context, evs []conversionEvent, results []tandem.ConversionResult) error {
	tx := r.tx
	ins := make([]tandem.ConversionInput, len(evs))
	hashes := make([]string, len(evs))
	valid := make([]bool, len(evs))
	for i, ev := range evs {
		in := ev.in
		in.Normalize()
		hashes[i] = requestHash(in) // before defaults: a retry without a time is the same request
		if in.OccurredAt.IsZero() {
			in.OccurredAt = tx.now
		}
		if err := in.Validate(tx.now); err != nil {
			results[i].Err = err
			continue
		}
		ins[i], valid[i] = in, true
		r.lockReferrals = r.lockReferrals || tx.db.dialect == Postgres && in.Kind == tandem.ConversionLeadQualified
	}
	seen, err := r.recorded(ctx, evs, ins, valid)
	if err != nil {
		return err
	}
	if err := r.prefetch(ctx, ins, valid); err != nil {
		return err
	}
	claimed := map[string]bool{}
	for i, ev := range evs {
		if !valid[i] {
			continue
		}
		in := ins[i]
		eventKey := "event\x00" + in.ProgramID + "\x00" + in.EventID
		idemKey := "key\x00" + ev.key
		one := in.Kind == tandem.ConversionRefund || in.Kind == tandem.ConversionCancellation ||
			seen[eventKey] || claimed[eventKey] || ev.key != "" && (seen[idemKey] || claimed[idemKey])
		claimed[eventKey] = true
		if ev.key != "" {
			claimed[idemKey] = true
		}
		if one || r.oneByOne {
			if err := r.flush(ctx, results); err != nil {
				return err
			}
			results[i] = r.recordOne(ctx, ev.in, ev.key, i)
			r.wrote = true
			r.forget()
			if tandem.ErrorCode(results[i].Err) == tandem.EINTERNAL {
				return results[i].Err
			}
			continue
		}
		if err := r.stage(ctx, i, ev, in, hashes[i]); tandem.ErrorCode(err) == tandem.EINTERNAL {
			return err
		} else if err != nil {
			results[i].Err = err
		}
	}
	return r.flush(ctx, results)
}

// recorded returns which of the events ("event\x00program\x00id") and
// Idempotency-Keys ("key\x00key") were recorded before, in two queries per
// program.
func (r *recorder) recorded(ctx context.Context, evs []conversionEvent, ins []tandem.ConversionInput, valid []bool) (map[string]bool, error) {
	byProgram := map[string][]any{}
	var keys []any
	for i, in := range ins {
		if valid[i] {
			byProgram[in.ProgramID] = append(byProgram[in.ProgramID], in.EventID)
			if evs[i].key != "" {
				keys = append(keys, evs[i].key)
			}
		}
	}
	seen := map[string]bool{}
	collect := func(prefix, query string, args []any) error {
		if len(args) == 0 {
			return nil
		}
		rows, err := r.tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("find recorded events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("find recorded events: %w", err)
			}
			seen[prefix+id] = true
		}
		return rows.Err()
	}
	for programID, ids := range byProgram {
		if err := collect("event\x00"+programID+"\x00", `SELECT event_id FROM conversions WHERE program_id = $1 AND event_id IN (`+
			r.tx.params(2, len(ids))+`)`, append([]any{programID}, ids...)); err != nil {
			return nil, err
		}
	}
	if err := collect("key\x00", `SELECT key FROM idempotency_keys WHERE key IN (`+r.tx.params(1, len(keys))+`)`, keys); err != nil {
		return nil, err
	}
	return seen, nil
}

// prefetch reads the clicks, customers and referrals (by email) the events
// name, in one query each (per program for customers and referrals).
func (r *recorder) prefetch(ctx context.Context, ins []tandem.ConversionInput, valid []bool) error {
	var clicks []string
	customers := map[string][]string{}
	for i, in := range ins {
		if !valid[i] {
			continue
		}
		if in.ClickID != "" {
			clicks = append(clicks, in.ClickID)
		}
		if key := customerKey(in); key != "" && in.Kind != tandem.ConversionRefund && in.Kind != tandem.ConversionCancellation {
			customers[in.ProgramID] = append(customers[in.ProgramID], key)
		}
	}
	if err := r.loadClicks(ctx, clicks); err != nil {
		return err
	}
	for programID, keys := range customers {
		if err := r.loadCustomers(ctx, programID, keys); err != nil {
			return err
		}
	}
	return r.prefetchReferrals(ctx, ins, valid)
}

// loadCustomers reads the program's customers by key; those not stored yet
// are kept as new, to be inserted with the first event of theirs that the
// batch records.
func (r *recorder) loadCustomers(ctx context.Context, programID string, keys []string) error {
	args := []any{programID}
	for _, k := range keys {
		if _, ok := r.customers[[2]string{programID, k}]; !ok {
			r.customers[[2]string{programID, k}] = &customerRow{Customer: tandem.Customer{ID: newTimeID(tandem.PrefixCustomer, r.tx.now),
				ProgramID: programID, ExternalID: k, CreatedAt: r.tx.now}}
			args = append(args, k)
		}
	}
	if len(args) == 1 {
		return nil
	}
	rows, err := r.tx.QueryContext(ctx, customerQuery+`IN (`+r.tx.params(2, len(args)-1)+`)`, args...)
	if err != nil {
		return fmt.Errorf("find customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCustomer(programID, rows.Scan)
		if err != nil {
			return fmt.Errorf("find customers: %w", err)
		}
		r.customers[[2]string{programID, c.ExternalID}] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find customers: %w", err)
	}
	return nil
}

// stage judges a new sale, renewal or lead and adds it to the batch. It
// writes nothing; an event it refuses leaves no trace in the batch.
func (r *recorder) stage(ctx context.Context, i int, ev conversionEvent, in tandem.ConversionInput, hash string) error {
	tx := r.tx
	p, err := r.program(ctx, in.ProgramID)
	if err != nil {
		return err
	}
	c := newConversion(p, in, tx.now)
	var cust *customerRow
	if key := customerKey(in); key != "" {
		if err := r.loadCustomers(ctx, p.ID, []string{key}); err != nil {
			return err
		}
		cust = r.customers[[2]string{p.ID, key}]
		if in.Kind == tandem.ConversionLeadQualified && !cust.stored && !cust.touched {
			cust = nil // a lead is not a customer (see recorder.customer)
		}
	}
	out, firstSale, eff, err := r.attributeAndJudge(ctx, p, c, cust, in)
	if err != nil {
		return err
	}
	ks := newCommissions(c, out, tx.now)
	var posts []tandem.Posting
	for _, k := range ks {
		if k.MovesMoney() {
			post := ledger.Earned(k, tx.now)
			if err := ledger.Validate(post); err != nil {
				return err
			}
			posts = append(posts, post)
		}
	}
	// The event is accepted: what follows only records it in the batch.
	if len(ks) > 0 {
		c.Commissions = ks
	}
	if cust != nil && in.Kind != tandem.ConversionLeadQualified {
		r.touchCustomer(cust, c, in, firstSale)
	}
	r.keepReferral(p.ID, eff, in.Kind == tandem.ConversionLeadQualified && c.NoCommission == "") // a lead that earned: as hasLead reads it
	if c.PartnerID != "" && (c.Kind == tandem.ConversionSale || c.Kind == tandem.ConversionRenewal) && c.Currency == p.Currency {
		r.gain(volumeGain{programID: p.ID, partnerID: c.PartnerID, at: c.OccurredAt, revenue: c.Amount})
	}
	for _, k := range ks {
		if a := r.awarded[[2]string{p.ID, c.PartnerID}]; a != nil && k.Kind == tandem.CommissionMilestone {
			a[k.RuleKey] = true
		}
	}
	r.batch.events = append(r.batch.events, &stagedConversion{i: i, ev: ev, hash: hash, c: c, posts: posts, referral: eff})
	return nil
}

// touchCustomer records what an accepted event does to its customer, as
// recordOne's customer and updateCustomer would: the email if it had none,
// the lock to the conversion's partner, the first sale.
func (r *recorder) touchCustomer(cust *customerRow, c *tandem.Conversion, in tandem.ConversionInput, firstSale bool) {
	counted := cust.PartnerID != "" && !cust.FirstSaleAt.IsZero()
	if cust.Email == "" && in.CustomerEmail != "" {
		cust.Email, cust.emailChanged = in.CustomerEmail, true
	}
	if c.PartnerID != "" && cust.PartnerID == "" {
		cust.PartnerID, cust.Attribution, cust.lockedAt, cust.lockChanged = c.PartnerID, c.Attribution, c.OccurredAt, true
	}
	if firstSale {
		cust.FirstSaleAt, cust.hadSale, cust.firstSaleDated = c.OccurredAt, true, true
	}
	if !counted && cust.PartnerID != "" && !cust.FirstSaleAt.IsZero() { // a new customer of the partner's
		r.gain(volumeGain{programID: cust.ProgramID, partnerID: cust.PartnerID, at: cust.FirstSaleAt, customers: 1})
	}
	if !cust.touched {
		cust.touched = true
		r.batch.customers = append(r.batch.customers, cust)
	}
}

// errBatchUnwritten means the transaction's first batch failed to write:
// ConversionService.record then runs the transaction again, one event at a
// time.
var errBatchUnwritten = errors.New("the batch could not be written")

// flush writes the batch and sets its events' results. If writing fails (a
// concurrent writer recorded one of its events or customers first, say)
// the batch is undone and its events go through recordOne one by one
// instead: within a savepoint, or, when the batch is the transaction's
// first write (most often: it spares a batch two statements), by running
// the transaction again (errBatchUnwritten).
func (r *recorder) flush(ctx context.Context, results []tandem.ConversionResult) error {
	b := r.batch
	if len(b.events) == 0 {
		return nil
	}
	write := func() error { return r.writeBatch(ctx, b) }
	var err error
	if r.wrote {
		err = r.tx.savepoint(ctx, "batch", write)
	} else if err = write(); err != nil && !isRetryable(err) {
		return fmt.Errorf("%w: %w", errBatchUnwritten, err)
	}
	r.wrote = true
	r.forget()
	if err == nil {
		for _, e := range b.events {
			results[e.i] = tandem.ConversionResult{Conversion: e.c}
		}
		return nil
	}
	if isRetryable(err) {
		return err
	}
	for _, e := range b.events {
		results[e.i] = r.recordOne(ctx, e.ev.in, e.ev.key, e.i)
		r.forget()
		if tandem.ErrorCode(results[e.i].Err) == tandem.EINTERNAL {
			return results[e.i].Err
		}
	}
	return nil
}

// writeBatch writes a batch's customers, conversions, Idempotency-Keys,
// commissions, postings and referrals. Anything already stored by someone
// else fails it (a unique violation, or errRaced), and the caller undoes
// the lot.
func (r *recorder) writeBatch(ctx context.Context, b conversionBatch) error {
	tx := r.tx
	var newCustomers [][]any
	for _, c := range b.customers {
		if !c.stored {
			newCustomers = append(newCustomers, []any{c.ID, c.ProgramID, c.ExternalID, c.Email, nullable(c.PartnerID), c.Attribution,
				optionalMs(c.lockedAt), optionalMs(c.FirstSaleAt), ms(c.CreatedAt)})
		}
	}
	if err := tx.insertAll(ctx, "customer", `INSERT INTO customers (id, program_id, external_id, email, partner_id, attribution,
		attributed_at, first_sale_at, created_at)`, newCustomers); err != nil {
		return err
	}
	conversions := make([][]any, len(b.events))
	var keys, commissions [][]any
	var posts []tandem.Posting
	var referrals []*referralEffect
	for i, e := range b.events {
		if e.referral != nil {
			referrals = append(referrals, e.referral)
		}
		conversions[i] = conversionRow(e.c, e.hash)
		if e.ev.key != "" {
			keys = append(keys, []any{e.ev.key, e.hash, e.c.ID, ms(tx.now)})
		}
		for _, k := range e.c.Commissions {
			commissions = append(commissions, commissionRow(k))
		}
		posts = append(posts, e.posts...)
	}
	if err := tx.insertAll(ctx, "conversion", conversionInsert, conversions); err != nil {
		return err
	}
	if err := tx.insertAll(ctx, "idempotency key", `INSERT INTO idempotency_keys (key, request_hash, conversion_id, created_at)`, keys); err != nil {
		return err
	}
	for _, c := range b.customers {
		if c.stored {
			if err := r.updateStoredCustomer(ctx, c); err != nil {
				return err
			}
		}
	}
	if err := tx.insertAll(ctx, "commission", commissionInsert, commissions); err != nil {
		return err
	}
	if err := tx.postAll(ctx, posts); err != nil {
		return err
	}
	return r.writeReferrals(ctx, referrals)
}

// insertAll inserts rows that must all be new: a row already stored fails
// it with a unique violation. Plain inserts, not ON CONFLICT DO NOTHING,
// which on PostgreSQL makes each row a speculative insertion (an index
// probe and a WAL record more per row).
func (tx *Tx) insertAll(ctx context.Context, what, head string, rows [][]any) error {
	if _, err := tx.insertRows(ctx, head, "", rows); err != nil {
		return fmt.Errorf("insert %s: %w", what, err)
	}
	return nil
}

// updateStoredCustomer writes what a batch changed of a stored customer.
func (r *recorder) updateStoredCustomer(ctx context.Context, c *customerRow) error {
	if c.emailChanged {
		if _, err := r.tx.ExecContext(ctx, `UPDATE customers SET email = $1 WHERE id = $2`, c.Email, c.ID); err != nil {
			return fmt.Errorf("update customer email: %w", err)
		}
	}
	if c.lockChanged {
		if _, err := r.tx.ExecContext(ctx, `UPDATE customers SET partner_id = $1, attribution = $2, attributed_at = $3 WHERE id = $4 AND partner_id IS NULL`,
			c.PartnerID, c.Attribution, ms(c.lockedAt), c.ID); err != nil {
			return fmt.Errorf("lock customer: %w", err)
		}
	}
	if c.firstSaleDated {
		if _, err := r.tx.ExecContext(ctx, `UPDATE customers SET first_sale_at = $1 WHERE id = $2`, ms(c.FirstSaleAt), c.ID); err != nil {
			return fmt.Errorf("record first sale: %w", err)
		}
	}
	return nil
}
