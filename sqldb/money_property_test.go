package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/commission"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// modelCommission is what the model expects of one commission.
type modelCommission struct {
	amount, reversed int64
	approved         bool
}

// moneyModel is the simple in-memory model the property test checks the
// database against: sales earn the plan's rate, renewals 10 % for six
// months, refunds take back the refunded share, the hold job approves what
// is due.
type moneyModel struct {
	rate        int64                       // percent of the plan version in force
	sales       map[string]*modelSale       // by event ID
	customers   map[string]*modelCustomer   // by customer ID
	commissions map[string]*modelCommission // by conversion event ID
}

type modelSale struct {
	amount, refunded int64
	attributed       bool
}

type modelCustomer struct {
	firstSale time.Time
	cancelled bool
	partner   bool
}

func percentOf(amount, rate int64) int64 { return commission.Percent(amount, decimal.NewFromInt(rate)) }

// TestMoneyModel runs random sequences of sales, renewals, partial and full
// refunds, cancellations, hold expiries, plan changes and retries, and after
// every step checks the database against the model: balances, each
// commission's amount and reversals, and the ledger's invariants. A failure
// prints its seed; TANDEM_MONEY_SEED=<seed> replays it.
func TestMoneyModel(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv("TANDEM_MONEY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 120
	if testing.Short() {
		steps = 40
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		defer func() {
			if t.Failed() {
				t.Logf("replay with TANDEM_MONEY_SEED=%d", seed)
			}
		}()
		runMoneyModel(t, db, seed, steps)
	})
}

func runMoneyModel(t *testing.T, db *sqldb.DB, seed uint64, steps int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 7))
	rules := func(rate int64) []tandem.Rule {
		return []tandem.Rule{
			{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage,
				Rate: decimal.NewFromInt(rate), HoldDays: 14},
			{Key: "renewals", Triggers: []tandem.Trigger{tandem.TriggerRenewal}, Kind: tandem.KindPercentage,
				Rate: decimal.NewFromInt(10), RecurringMonths: 6, HoldDays: 14},
		}
	}
	f := newMoneyFixture(t, db, rules(20)...)
	plans, err := sqldb.NewPlanService(db).Plans(ctx, f.prog.ID)
	if err != nil || len(plans) != 1 {
		t.Fatal(plans, err)
	}
	loc, _ := time.LoadLocation(f.prog.TimeZone)
	clickAt := *f.now // the fixture's click: it attributes inside the cookie window only
	window := time.Duration(f.prog.CookieDays) * 24 * time.Hour
	m := &moneyModel{rate: 20, sales: map[string]*modelSale{}, customers: map[string]*modelCustomer{}, commissions: map[string]*modelCommission{}}
	var events []tandem.ConversionInput
	var saleIDs, customerIDs []string
	n := 0
	record := func(in tandem.ConversionInput) (tandem.ConversionResult, error) {
		in.ProgramID = f.prog.ID
		return f.conv.RecordConversion(ctx, in, "")
	}
	for step := range steps {
		n++
		op := r.IntN(10)
		var what string
		switch {
		case op < 3 || len(customerIDs) == 0: // a sale, new or repeat customer
			cust := fmt.Sprintf("cust_%d", n)
			if len(customerIDs) > 0 && r.IntN(3) == 0 {
				cust = customerIDs[r.IntN(len(customerIDs))]
			}
			mc := m.customers[cust]
			in := tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: fmt.Sprintf("sale_%d", n), CustomerID: cust,
				Amount: 1 + r.Int64N(100000), Currency: "USD"}
			attributed := mc != nil && mc.partner
			if mc == nil && r.IntN(4) > 0 {
				in.ClickID, attributed = f.click, !f.now.After(clickAt.Add(window))
			}
			what = fmt.Sprintf("sale %s of %d for %s (attributed %v)", in.EventID, in.Amount, cust, attributed)
			if _, err := record(in); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			if mc == nil {
				mc = &modelCustomer{firstSale: *f.now, partner: attributed}
				m.customers[cust] = mc
				customerIDs = append(customerIDs, cust)
			}
			m.sales[in.EventID] = &modelSale{amount: in.Amount, attributed: attributed}
			saleIDs = append(saleIDs, in.EventID)
			if attributed {
				m.commissions[in.EventID] = &modelCommission{amount: percentOf(in.Amount, m.rate)}
			}
			events = append(events, in)
		case op < 5: // a renewal
			cust := customerIDs[r.IntN(len(customerIDs))]
			mc := m.customers[cust]
			in := tandem.ConversionInput{Kind: tandem.ConversionRenewal, EventID: fmt.Sprintf("renewal_%d", n), CustomerID: cust,
				Amount: 1 + r.Int64N(50000), Currency: "USD"}
			what = fmt.Sprintf("renewal %s of %d for %s", in.EventID, in.Amount, cust)
			_, err := record(in)
			if mc.cancelled {
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("step %d %s after cancellation: %v", step, what, err)
				}
				break
			} else if err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			m.sales[in.EventID] = &modelSale{amount: in.Amount, attributed: mc.partner}
			saleIDs = append(saleIDs, in.EventID)
			if mc.partner && commission.MonthsBetween(mc.firstSale, *f.now, loc) < 6 {
				m.commissions[in.EventID] = &modelCommission{amount: percentOf(in.Amount, 10)}
			}
			events = append(events, in)
		case op < 7 && len(saleIDs) > 0: // a refund, sometimes too large
			id := saleIDs[r.IntN(len(saleIDs))]
			s := m.sales[id]
			left := s.amount - s.refunded
			amount := int64(0) // the rest
			if r.IntN(2) == 0 && left > 1 {
				amount = 1 + r.Int64N(left)
			}
			tooMuch := r.IntN(8) == 0
			if tooMuch {
				amount = left + 1 + r.Int64N(100)
			}
			in := tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: fmt.Sprintf("refund_%d", n), Parent: id, Amount: amount}
			what = fmt.Sprintf("refund %s of %d on %s (left %d)", in.EventID, amount, id, left)
			_, err := record(in)
			if tooMuch || left == 0 {
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("step %d %s: want a refusal, got %v", step, what, err)
				}
				break
			} else if err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			if amount == 0 {
				amount = left
			}
			if mk := m.commissions[id]; mk != nil {
				target := mk.amount
				if s.refunded+amount < s.amount {
					target = decimal.NewFromInt(mk.amount).Mul(decimal.NewFromInt(s.refunded + amount)).Div(decimal.NewFromInt(s.amount)).Round(0).IntPart()
				}
				mk.reversed = max(mk.reversed, min(target, mk.amount))
			}
			s.refunded += amount
			events = append(events, in)
		case op < 8: // a cancellation
			cust := customerIDs[r.IntN(len(customerIDs))]
			in := tandem.ConversionInput{Kind: tandem.ConversionCancellation, EventID: fmt.Sprintf("cancel_%d", n), CustomerID: cust}
			what = "cancellation of " + cust
			if _, err := record(in); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
			m.customers[cust].cancelled = true
			events = append(events, in)
		case op < 9: // time passes; the hold job runs
			days := r.IntN(20)
			*f.now = f.now.Add(time.Duration(days)*24*time.Hour + time.Duration(r.IntN(3600))*time.Second)
			what = fmt.Sprintf("%d days pass", days)
			if _, err := f.comm.ApproveDue(ctx, 1000); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
		default: // the plan changes, or an event is retried
			if r.IntN(2) == 0 || len(events) == 0 {
				m.rate = 5 + r.Int64N(40)
				what = fmt.Sprintf("plan now pays %d %%", m.rate)
				if _, err := sqldb.NewPlanService(db).PublishVersion(ctx, plans[0].ID, rules(m.rate), time.Time{}); err != nil {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
				break
			}
			in := events[r.IntN(len(events))]
			what = "retry of " + in.EventID
			res, err := record(in)
			if err != nil || !res.Replayed {
				t.Fatalf("step %d %s: %+v %v", step, what, res, err)
			}
		}
		checkMoneyModel(t, f, m, step, what)
	}
}

// checkMoneyModel compares the database with the model after a step.
func checkMoneyModel(t *testing.T, f *moneyFixture, m *moneyModel, step int, what string) {
	t.Helper()
	ctx := context.Background()
	ks, err := f.comm.Commissions(ctx, tandem.CommissionFilter{ProgramID: f.prog.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byEvent := map[string]*tandem.Commission{}
	for _, k := range ks {
		c, err := f.conv.Conversion(ctx, k.ConversionID)
		if err != nil {
			t.Fatal(err)
		}
		if byEvent[c.EventID] != nil {
			t.Fatalf("step %d (%s): event %s has two commissions", step, what, c.EventID)
		}
		byEvent[c.EventID] = k
	}
	if len(byEvent) != len(m.commissions) {
		t.Fatalf("step %d (%s): %d commissions, model has %d", step, what, len(byEvent), len(m.commissions))
	}
	var pending, payable int64
	for id, mk := range m.commissions {
		k := byEvent[id]
		if k == nil || k.Amount != mk.amount || k.Reversed != mk.reversed {
			t.Fatalf("step %d (%s): commission of %s is %+v, model %+v", step, what, id, k, mk)
		}
		if k.Reversed > k.Amount {
			t.Fatalf("step %d (%s): %s reversed more than earned", step, what, id)
		}
		if k.Status == tandem.CommissionPending && k.ApprovableAt(*f.now) {
			t.Fatalf("step %d (%s): %s is due but pending after the job", step, what, id)
		}
		if !k.ApprovedAt.IsZero() {
			mk.approved = true
		}
		if mk.approved {
			payable += mk.amount - mk.reversed
		} else {
			pending += mk.amount - mk.reversed
		}
	}
	if got := f.balance(t, tandem.AccountPending); got != pending {
		t.Fatalf("step %d (%s): pending balance %d, model %d", step, what, got, pending)
	}
	if got := f.balance(t, tandem.AccountPayable); got != payable {
		t.Fatalf("step %d (%s): payable balance %d, model %d", step, what, got, payable)
	}
	if err := f.ledger.VerifyLedger(ctx); err != nil {
		t.Fatalf("step %d (%s): %v", step, what, err)
	}
}
