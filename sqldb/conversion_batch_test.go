package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// batchWorld is a program whose plan uses everything a batch must get
// right: monthly revenue tiers, lifetime customer tiers on renewals, a lead
// reward, a repeat-sale bonus and a milestone; two partners with a click
// each, a coupon, and a suspended partner with a click.
type batchWorld struct {
	db      *sqldb.DB
	prog    *tandem.Program
	clicks  []string // partner A's, partner B's, the suspended partner's
	names   map[string]string
	partner map[string]string // name → ID
}

func newBatchWorld(t *testing.T, db *sqldb.DB, now time.Time) *batchWorld {
	t.Helper()
	ctx := context.Background()
	db.Now = func() time.Time { return now }
	w := &batchWorld{db: db, names: map[string]string{"": "none"}, partner: map[string]string{}}
	w.prog = &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", TimeZone: "America/New_York",
		DestinationURL: "https://www.acme.example/", CookieDays: 365}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, w.prog); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name   string
		status tandem.MembershipStatus
	}{{"A", tandem.MembershipApproved}, {"B", tandem.MembershipApproved}, {"S", tandem.MembershipSuspended}} {
		p := resMember(t, db, w.prog.ID, strings.ToLower(m.name)+"@example.com", m.status, "")
		w.names[p.ID], w.partner[m.name] = m.name, p.ID
		link := tandem.NewID(tandem.PrefixLink)
		resExec(t, db, `INSERT INTO links (id, code, program_id, partner_id, channel, is_default, created_at) VALUES ($1, $2, $3, $4, 'email', false, 0)`,
			link, "link-"+m.name, w.prog.ID, p.ID)
		click := tandem.NewID(tandem.PrefixClick)
		if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: link, Visitor: "v" + m.name, At: now.AddDate(0, -4, 0)}}); err != nil {
			t.Fatal(err)
		}
		w.clicks = append(w.clicks, click)
	}
	resExec(t, db, `INSERT INTO coupons (id, program_id, partner_id, code, created_at) VALUES ($1, $2, $3, 'BCODE', 0)`,
		tandem.NewID("cpn"), w.prog.ID, w.partner["B"])
	pct := func(n int64) decimal.Decimal { return decimal.NewFromInt(n) }
	rules := []tandem.Rule{
		{Key: "sales", Name: "Sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage,
			Basis: tandem.TierPeriodRevenue, Period: tandem.PeriodMonth, HoldDays: 30,
			Steps: []tandem.Step{{Threshold: 0, Rate: pct(10)}, {Threshold: 50000, Rate: pct(15)}, {Threshold: 200000, Rate: pct(20)}}},
		{Key: "renewals", Triggers: []tandem.Trigger{tandem.TriggerRenewal}, Kind: tandem.KindPercentage, RecurringMonths: 6, HoldDays: 14,
			Basis: tandem.TierLifetimeCount, Steps: []tandem.Step{{Threshold: 0, Rate: pct(5)}, {Threshold: 4, Rate: pct(8)}}},
		{Key: "leads", Triggers: []tandem.Trigger{tandem.TriggerLeadQualified}, Kind: tandem.KindFixed, Amount: 500},
		{Key: "loyal", Role: tandem.RoleBonus, Triggers: []tandem.Trigger{tandem.TriggerRepeatSale}, Kind: tandem.KindFixed, Amount: 100},
		{Key: "club", Name: "Club", Triggers: []tandem.Trigger{tandem.TriggerMilestone}, Threshold: 300000, Reward: tandem.MilestoneBonus, Amount: 10000},
	}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, w.prog.ID, "Standard", rules, now.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	return w
}

// batchEvents returns a random history: sales to new and returning
// customers (by click, coupon, email only, or unattributed), renewals,
// leads, refunds, cancellations, exact repeats, repeats with other content,
// and events refused for an unknown click, spread over four months.
func batchEvents(seed uint64, n int, now time.Time) []tandem.ConversionInput {
	r := rand.New(rand.NewPCG(seed, 11))
	var evs []tandem.ConversionInput
	var customers, sales []string
	for i := range n {
		at := now.Add(-time.Duration(r.IntN(120*24)) * time.Hour)
		in := tandem.ConversionInput{EventID: fmt.Sprintf("ev_%d", i), OccurredAt: at, Currency: "USD", Amount: 1 + r.Int64N(90000)}
		switch op := r.IntN(20); {
		case op < 7 || len(customers) == 0:
			in.Kind = tandem.ConversionSale
			if len(customers) > 0 && r.IntN(3) == 0 {
				in.CustomerID = customers[r.IntN(len(customers))]
			} else {
				in.CustomerID = fmt.Sprintf("cus_%d", i)
				customers = append(customers, in.CustomerID)
			}
			switch r.IntN(5) {
			case 0:
				in.ClickID = "A"
			case 1:
				in.ClickID = "B"
			case 2:
				in.ClickID = "S"
			case 3:
				in.Coupon = "bcode"
			}
			if r.IntN(6) == 0 {
				in.CustomerEmail = fmt.Sprintf("buyer%d@example.com", r.IntN(5))
				if r.IntN(2) == 0 {
					in.CustomerID = ""
				}
			}
			sales = append(sales, in.EventID)
		case op < 10:
			in.Kind, in.CustomerID = tandem.ConversionRenewal, customers[r.IntN(len(customers))]
			sales = append(sales, in.EventID)
		case op < 12:
			in.Kind, in.Amount = tandem.ConversionLeadQualified, 0
			if r.IntN(2) == 0 { // the email of a buyer, or of another lead: one referral, one lead fee
				in.CustomerEmail = fmt.Sprintf("buyer%d@example.com", r.IntN(8))
			}
			if r.IntN(2) == 0 {
				in.ClickID = "A"
			} else {
				in.Coupon = "BCODE"
			}
		case op < 14 && len(sales) > 0:
			in.Kind, in.Parent, in.Currency = tandem.ConversionRefund, sales[r.IntN(len(sales))], ""
			in.Amount = r.Int64N(20000) // sometimes 0: the rest; sometimes more than is left
		case op < 15:
			in.Kind, in.CustomerID, in.Amount, in.Currency = tandem.ConversionCancellation, customers[r.IntN(len(customers))], 0, ""
		case op < 18 && len(evs) > 0:
			in = evs[r.IntN(len(evs))]
			if r.IntN(3) == 0 {
				in.Amount++ // the same event ID with other content
			}
		default:
			in.Kind, in.CustomerID, in.ClickID = tandem.ConversionSale, fmt.Sprintf("cus_%d", i), "clk_nonesuch"
		}
		evs = append(evs, in)
	}
	return evs
}

var publicID = regexp.MustCompile(`\b[a-z]{3}_[0-9a-z]{26}\b`)

// outcome describes a result without the IDs that differ between databases.
func (w *batchWorld) outcome(res tandem.ConversionResult) string {
	if res.Err != nil {
		return "error " + tandem.ErrorCode(res.Err) + ": " + res.Err.Error()
	}
	c := res.Conversion
	s := fmt.Sprintf("%s replayed=%v partner=%s by %s (%s) amount=%d refunded=%d customer=%v referral=%v %q", c.Kind, res.Replayed, w.names[c.PartnerID],
		c.Attribution, publicID.ReplaceAllString(c.Explanation, "ID"), c.Amount, c.Refunded, c.CustomerID != "", c.ReferralID != "",
		publicID.ReplaceAllString(c.NoCommission, "ID"))
	var ks []string
	for _, k := range c.Commissions {
		ks = append(ks, fmt.Sprintf("[%s %s %d %s %s %q]", k.RuleKey, k.Kind, k.Amount, k.Status, k.BlockedBy, k.Explanation))
	}
	slices.Sort(ks)
	return s + strings.Join(ks, "")
}

// input puts the world's program and click IDs into a generated event.
func (w *batchWorld) input(in tandem.ConversionInput) tandem.ConversionInput {
	in.ProgramID = w.prog.ID
	switch in.ClickID {
	case "A":
		in.ClickID = w.clicks[0]
	case "B":
		in.ClickID = w.clicks[1]
	case "S":
		in.ClickID = w.clicks[2]
	}
	return in
}

// state summarises the partners' balances and commissions.
func (w *batchWorld) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	if err := sqldb.NewLedgerService(w.db).VerifyLedger(ctx); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, name := range []string{"A", "B", "S"} {
		bs, err := sqldb.NewLedgerService(w.db).Balances(ctx, w.partner[name])
		if err != nil {
			t.Fatal(err)
		}
		ks, err := sqldb.NewCommissionService(w.db).Commissions(ctx, tandem.CommissionFilter{PartnerID: w.partner[name], Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var total, reversed int64
		for _, k := range ks {
			total, reversed = total+k.Amount, reversed+k.Reversed
		}
		lines = append(lines, fmt.Sprintf("%s: balances %+v, %d commissions of %d, %d reversed", name, bs, len(ks), total, reversed))
		rs, err := sqldb.NewReferralService(w.db).FindReferrals(ctx, tandem.ReferralFilter{PartnerID: w.partner[name], Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, r := range rs {
			refs = append(refs, fmt.Sprintf("%s %s %q customer=%v link=%v", r.Source, r.Status, r.Email, r.CustomerID != "", r.LinkID != ""))
		}
		slices.Sort(refs)
		lines = append(lines, fmt.Sprintf("%s: %d referrals: %s", name, len(refs), strings.Join(refs, "; ")))
	}
	lines = append(lines, fmt.Sprintf("customers: %d", resCount(t, w.db, "customers")))
	for i := range lines {
		lines[i] = publicID.ReplaceAllString(lines[i], "ID")
	}
	return strings.Join(lines, "\n")
}

// TestBatchMatchesOneByOne records the same random history twice: one
// event per call on one database, and in bulk requests of random sizes on
// another. Every event must have the same outcome (tiers and volumes
// counting the earlier events of the same request, milestones awarded
// once, repeats inside a request answered as replays or conflicts, refunds
// of sales in the same request) and the ledgers must end the same.
func TestBatchMatchesOneByOne(t *testing.T) {
	t.Parallel()
	seed := rand.Uint64()
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		defer func() {
			if t.Failed() {
				t.Logf("seed %d", seed)
			}
		}()
		one, bulk := newBatchWorld(t, db, now), newBatchWorld(t, sqldbtest.Open(t, db.Dialect()), now)
		evs := batchEvents(seed, 400, now)
		want := make([]string, len(evs))
		for i, in := range evs {
			res, _ := sqldb.NewConversionService(one.db).RecordConversion(ctx, one.input(in), "")
			if tandem.ErrorCode(res.Err) == tandem.EINTERNAL {
				t.Fatalf("event %d: %v", i, res.Err)
			}
			want[i] = one.outcome(res)
		}
		r := rand.New(rand.NewPCG(seed, 12))
		conv := sqldb.NewConversionService(bulk.db)
		for start := 0; start < len(evs); {
			end := min(len(evs), start+1+r.IntN(80))
			ins := make([]tandem.ConversionInput, 0, end-start)
			for _, in := range evs[start:end] {
				ins = append(ins, bulk.input(in))
			}
			results, err := conv.RecordConversions(ctx, ins)
			if err != nil {
				t.Fatal(err)
			}
			for j, res := range results {
				if got := bulk.outcome(res); got != want[start+j] {
					t.Errorf("event %d (%s %s), in a request of %d from %d:\n got %s\nwant %s", start+j, evs[start+j].Kind,
						evs[start+j].EventID, end-start, start, got, want[start+j])
				}
			}
			start = end
		}
		if got, want := bulk.state(t), one.state(t); got != want {
			t.Errorf("after bulk:\n%s\nafter one by one:\n%s", got, want)
		}
	})
}

// TestConcurrentBulkAndSingles records overlapping events from concurrent
// bulk requests and single calls (which share group commits), with some
// refused events among them: each event is recorded exactly once, every
// caller gets its own answer, and a refused event fails no other.
func TestConcurrentBulkAndSingles(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db)
		conv := sqldb.NewConversionService(db)
		event := func(i int) tandem.ConversionInput {
			in := tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionSale, EventID: fmt.Sprintf("in_%d", i),
				CustomerID: fmt.Sprintf("cus_%d", i), ClickID: f.click, Amount: 10000, Currency: "USD"}
			if i%10 == 7 {
				in.ClickID = "clk_unknown"
			}
			return in
		}
		const n = 300
		created := make([]int, n)
		var mu sync.Mutex
		check := func(i int, res tandem.ConversionResult) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case i%10 == 7:
				if tandem.ErrorCode(res.Err) != tandem.EINVALID {
					t.Errorf("event %d with an unknown click: %v", i, res.Err)
				}
			case res.Err != nil:
				t.Errorf("event %d: %v", i, res.Err)
			case !res.Replayed:
				created[i]++
			}
		}
		var wg sync.WaitGroup
		for w := range 3 { // bulk requests of 100, overlapping
			wg.Go(func() {
				for start := w * 50; start+100 <= n; start += 150 {
					ins := make([]tandem.ConversionInput, 100)
					for j := range ins {
						ins[j] = event(start + j)
					}
					results, err := conv.RecordConversions(ctx, ins)
					if err != nil {
						t.Error(err)
						return
					}
					for j, res := range results {
						check(start+j, res)
					}
				}
			})
		}
		for w := range 20 { // single events, every one twice overall
			wg.Go(func() {
				for i := w; i < n; i += 10 {
					res, _ := conv.RecordConversion(ctx, event(i), "")
					check(i, res)
				}
			})
		}
		wg.Wait()
		for i, c := range created {
			if want := map[bool]int{true: 0, false: 1}[i%10 == 7]; c != want {
				t.Errorf("event %d created %d times", i, c)
			}
		}
		cs, err := conv.Conversions(ctx, tandem.ConversionFilter{ProgramID: f.prog.ID, Limit: 1000})
		if err != nil || len(cs) != n-n/10 {
			t.Fatalf("%d conversions stored (%v); want %d", len(cs), err, n-n/10)
		}
		ks, _ := f.comm.Commissions(ctx, tandem.CommissionFilter{ProgramID: f.prog.ID, Limit: 1000})
		if len(ks) != len(cs) {
			t.Errorf("%d commissions for %d conversions", len(ks), len(cs))
		}
		if got, want := f.balance(t, tandem.AccountPending), int64(len(cs))*2000; got != want {
			t.Errorf("pending balance %d; want %d", got, want)
		}
		f.verify(t)
	})
}

// TestConversionIDsFollowTime: the IDs of what recording writes are valid
// tandem IDs that sort in the order they were made, so bulk inserts append
// to their indexes.
func TestConversionIDsFollowTime(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newMoneyFixture(t, db)
		var prev *tandem.Conversion
		for i := range 40 {
			*f.now = f.now.Add(time.Duration(1+i%3) * time.Millisecond * time.Duration(1+i*i*i*1000))
			c := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: fmt.Sprintf("in_%d", i), CustomerID: fmt.Sprintf("cus_%d", i),
				ClickID: f.click, Amount: 1000, Currency: "USD"}).Conversion
			if len(c.Commissions) != 1 || !tandem.HasPrefix(c.ID, tandem.PrefixConversion) || !tandem.HasPrefix(c.CustomerID, tandem.PrefixCustomer) ||
				!tandem.HasPrefix(c.Commissions[0].ID, tandem.PrefixCommission) {
				t.Fatalf("conversion %s, customer %s, commissions %v: not tandem IDs", c.ID, c.CustomerID, c.Commissions)
			}
			if prev != nil && (c.ID <= prev.ID || c.CustomerID <= prev.CustomerID || c.Commissions[0].ID <= prev.Commissions[0].ID) {
				t.Fatalf("IDs made at %v sort before those made earlier: %s ≤ %s", *f.now, c.ID, prev.ID)
			}
			prev = c
		}
	})
}
