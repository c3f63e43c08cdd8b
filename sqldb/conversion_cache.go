package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
	"github.com/tandem-prm/tandem/commission"
)

// recorder records the events of one transaction. It reads what events
// share once per transaction: programs, clicks, coupons, memberships,
// plans and agreements, which recording never changes. What recording does
// change (customers, volumes, awarded milestones) it also keeps, for the
// events of a batch (see conversionBatch), and forgets whenever the database moves
// ahead of it (see forget).
type recorder struct {
	tx *Tx
	// oneByOne records every event through recordOne, without batches.
	oneByOne bool
	// wrote is set once the transaction has written (or tried to).
	wrote bool
	// lockReferrals: the referrals read are locked first (PostgreSQL, a
	// transaction that records leads: see loadReferrals).
	lockReferrals bool

	programs   map[string]*tandem.Program
	locations  map[string]*time.Location
	clicks     map[string]*clickRow // nil: no such click
	coupons    map[[2]string]attribution.Coupon
	members    map[[2]string]*attribution.Partner // nil: not a member
	plans      map[[2]string]planRef
	versions   map[string][]versionRef // by plan, latest first
	agreements map[[2]string]bool

	// Kept for the batch; see forget.
	customers map[[2]string]*customerRow
	volumesOf map[[2]string]map[commission.Window]commission.Volume
	awarded   map[[2]string]map[string]bool
	refs      referralCache
	batch     conversionBatch
}

func newRecorder(tx *Tx) *recorder {
	r := &recorder{tx: tx, programs: map[string]*tandem.Program{}, locations: map[string]*time.Location{},
		clicks: map[string]*clickRow{}, coupons: map[[2]string]attribution.Coupon{}, members: map[[2]string]*attribution.Partner{},
		plans: map[[2]string]planRef{}, versions: map[string][]versionRef{}, agreements: map[[2]string]bool{}}
	r.forget()
	return r
}

// forget drops what the recorder keeps of customers, volumes, milestones
// and referrals: the next event reads them again. Called after every write
// outside a batch (refunds, cancellations, the per-event fallback) and
// after a batch is written or abandoned.
func (r *recorder) forget() {
	r.customers = map[[2]string]*customerRow{}
	r.volumesOf = map[[2]string]map[commission.Window]commission.Volume{}
	r.awarded = map[[2]string]map[string]bool{}
	r.refs = newReferralCache()
	r.batch = conversionBatch{}
}

// program returns the event's program.
func (r *recorder) program(ctx context.Context, id string) (*tandem.Program, error) {
	if p, ok := r.programs[id]; ok {
		return p, nil
	}
	p, err := findProgramByID(ctx, r.tx, id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, tandem.Invalidf("program_id", "No such program.")
	} else if err != nil {
		return nil, err
	}
	r.programs[id] = p
	return p, nil
}

// location returns the program's time zone (UTC if unknown).
func (r *recorder) location(p *tandem.Program) *time.Location {
	if loc, ok := r.locations[p.ID]; ok {
		return loc
	}
	loc := programLocation(p)
	r.locations[p.ID] = loc
	return loc
}

// clickRow is a click as attribution needs it.
type clickRow struct {
	attribution.Click
	programID    string
	attributable bool
}

const clickQuery = `SELECT c.id, c.program_id, c.link_id, COALESCE(NULLIF(l.label, ''), l.code), c.partner_id, c.occurred_at, c.bot, c.attributable
	FROM clicks c JOIN links l ON l.id = c.link_id WHERE c.id `

// click returns the click of the program, or nil if it has none by that ID.
func (r *recorder) click(ctx context.Context, programID, id string) (*clickRow, error) {
	k, ok := r.clicks[id]
	if !ok {
		if err := r.loadClicks(ctx, []string{id}); err != nil {
			return nil, err
		}
		k = r.clicks[id]
	}
	if k == nil || k.programID != programID {
		return nil, nil
	}
	return k, nil
}

// loadClicks reads the clicks by ID, in one query.
func (r *recorder) loadClicks(ctx context.Context, ids []string) error {
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		if _, ok := r.clicks[id]; !ok {
			r.clicks[id] = nil
			args = append(args, id)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := r.tx.QueryContext(ctx, clickQuery+`IN (`+r.tx.params(1, len(args))+`)`, args...)
	if err != nil {
		return fmt.Errorf("find clicks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k := &clickRow{}
		if err := rows.Scan(&k.ID, &k.programID, &k.LinkID, &k.LinkLabel, &k.PartnerID, timeCol(&k.At), &k.Bot, &k.attributable); err != nil {
			return fmt.Errorf("find clicks: %w", err)
		}
		r.clicks[k.ID] = k
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find clicks: %w", err)
	}
	return nil
}

// coupon returns the program's coupon by code; a code of no partner is a
// coupon without ID, which attributes nothing.
func (r *recorder) coupon(ctx context.Context, programID, code string) (attribution.Coupon, error) {
	if cp, ok := r.coupons[[2]string{programID, code}]; ok {
		return cp, nil
	}
	var cp attribution.Coupon
	err := r.tx.QueryRowContext(ctx, `SELECT id, code, partner_id FROM coupons WHERE program_id = $1 AND code = $2 AND archived_at IS NULL`,
		programID, code).Scan(&cp.ID, &cp.Code, &cp.PartnerID)
	if isNoRows(err) {
		cp = attribution.Coupon{Code: code}
	} else if err != nil {
		return cp, fmt.Errorf("find coupon: %w", err)
	}
	r.coupons[[2]string{programID, code}] = cp
	return cp, nil
}

// membership returns the partner as attribution sees them in the program,
// or nil if they are not a member.
func (r *recorder) membership(ctx context.Context, programID, partnerID string) (*attribution.Partner, error) {
	key := [2]string{programID, partnerID}
	if pa, ok := r.members[key]; ok {
		return pa, nil
	}
	pa := &attribution.Partner{}
	var reason sql.NullString
	err := r.tx.QueryRowContext(ctx, `
		SELECT p.name, m.status, m.reason FROM memberships m JOIN partners p ON p.id = m.partner_id
		WHERE m.program_id = $1 AND m.partner_id = $2`, programID, partnerID).Scan(&pa.Name, &pa.Status, &reason)
	if isNoRows(err) {
		pa = nil
	} else if err != nil {
		return nil, fmt.Errorf("find membership: %w", err)
	} else {
		pa.Reason = reason.String
	}
	r.members[key] = pa
	return pa, nil
}

// planRef names the plan a partner earns by ("" for none).
type planRef struct{ id, name string }

func (r *recorder) partnerPlan(ctx context.Context, programID, partnerID string) (planRef, error) {
	key := [2]string{programID, partnerID}
	if p, ok := r.plans[key]; ok {
		return p, nil
	}
	id, name, err := r.tx.partnerPlan(ctx, programID, partnerID)
	if err != nil {
		return planRef{}, err
	}
	r.plans[key] = planRef{id: id, name: name}
	return r.plans[key], nil
}

// versionRef is when a plan version takes effect.
type versionRef struct {
	id   string
	from int64
}

// versionAt returns the plan's version in force at the moment (the latest
// effective at or before it), or nil if none was.
func (r *recorder) versionAt(ctx context.Context, planID string, at time.Time) (*tandem.PlanVersion, error) {
	vs, ok := r.versions[planID]
	if !ok {
		rows, err := r.tx.QueryContext(ctx, `SELECT id, effective_from FROM plan_versions WHERE plan_id = $1
			ORDER BY effective_from DESC, version DESC`, planID)
		if err != nil {
			return nil, fmt.Errorf("find plan versions: %w", err)
		}
		for rows.Next() {
			var v versionRef
			if err := rows.Scan(&v.id, &v.from); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find plan versions: %w", err)
			}
			vs = append(vs, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find plan versions: %w", err)
		}
		r.versions[planID] = vs
	}
	for _, v := range vs {
		if v.from <= ms(at) {
			return r.tx.planVersion(ctx, v.id)
		}
	}
	return nil, nil
}

func (r *recorder) agreementAccepted(ctx context.Context, programID, partnerID string) (bool, error) {
	key := [2]string{programID, partnerID}
	if ok, found := r.agreements[key]; found {
		return ok, nil
	}
	ok, err := r.tx.queryAgreementAccepted(ctx, programID, partnerID)
	if err != nil {
		return false, err
	}
	r.agreements[key] = ok
	return ok, nil
}

// volumes returns the partner's volume in each window: what is stored, and
// the events of the batch not yet written.
func (r *recorder) volumes(ctx context.Context, programID, partnerID string, windows []commission.Window) (map[commission.Window]commission.Volume, error) {
	key := [2]string{programID, partnerID}
	known := r.volumesOf[key]
	if known == nil {
		known = map[commission.Window]commission.Volume{}
		r.volumesOf[key] = known
	}
	var missing []commission.Window
	for _, w := range windows {
		if _, ok := known[w]; !ok {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		stored, err := r.tx.queryVolumes(ctx, programID, partnerID, missing)
		if err != nil {
			return nil, err
		}
		for w, v := range stored {
			for _, g := range r.batch.gains {
				if g.programID == programID && g.partnerID == partnerID && inWindow(w, g.at) {
					v.Revenue += g.revenue
					v.Customers += g.customers
				}
			}
			known[w] = v
		}
	}
	out := make(map[commission.Window]commission.Volume, len(windows))
	for _, w := range windows {
		out[w] = known[w]
	}
	return out, nil
}

// gain adds to the partner's volumes what an event of the batch brought.
func (r *recorder) gain(g volumeGain) {
	for w, v := range r.volumesOf[[2]string{g.programID, g.partnerID}] {
		if inWindow(w, g.at) {
			v.Revenue += g.revenue
			v.Customers += g.customers
			r.volumesOf[[2]string{g.programID, g.partnerID}][w] = v
		}
	}
	r.batch.gains = append(r.batch.gains, g)
}

func inWindow(w commission.Window, at time.Time) bool {
	from, to := windowBounds(w)
	return ms(at) >= from && ms(at) < to
}

// awardedMilestones returns the keys of the milestone rules awarded to the
// partner: stored, or by an event of the batch.
func (r *recorder) awardedMilestones(ctx context.Context, programID, partnerID string) (map[string]bool, error) {
	key := [2]string{programID, partnerID}
	if a, ok := r.awarded[key]; ok {
		return a, nil
	}
	a, err := r.tx.queryAwardedMilestones(ctx, programID, partnerID)
	if err != nil {
		return nil, err
	}
	for _, e := range r.batch.events {
		for _, k := range e.c.Commissions {
			if k.Kind == tandem.CommissionMilestone && k.ProgramID == programID && k.PartnerID == partnerID {
				a[k.RuleKey] = true
			}
		}
	}
	r.awarded[key] = a
	return a, nil
}
