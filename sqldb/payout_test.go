package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/payout"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// payFixture is moneyFixture with payouts: partners earn through the real
// conversion path and the approval job makes their commissions payable.
type payFixture struct {
	*moneyFixture
	pay   *sqldb.PayoutService
	links map[string]string // partner → their link
	n     int
}

func newPayFixture(t *testing.T, db *sqldb.DB) *payFixture {
	f := &payFixture{moneyFixture: newMoneyFixture(t, db), pay: sqldb.NewPayoutService(db), links: map[string]string{}}
	links, err := sqldb.NewLinkService(db).FindLinks(context.Background(), tandem.LinkFilter{PartnerID: f.partner})
	if err != nil || len(links) == 0 {
		t.Fatal(links, err)
	}
	f.links[f.partner] = links[0].ID
	return f
}

// addPartner adds an approved partner with a link.
func (f *payFixture) addPartner(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	f.n++
	p := resMember(t, f.db, f.prog.ID, fmt.Sprintf("p%d@example.com", f.n), tandem.MembershipApproved, "")
	link, err := sqldb.NewLinkService(f.db).CreateLink(ctx, p.ID, f.prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
	if err != nil {
		t.Fatal(err)
	}
	f.links[p.ID] = link.ID
	return p.ID
}

// earn records a click and a sale of amount for the partner: 20 %
// commission.
func (f *payFixture) earn(t *testing.T, partner, event string, amount int64) {
	t.Helper()
	click := tandem.NewID(tandem.PrefixClick)
	if err := sqldb.NewClickStore(f.db).InsertClicks(context.Background(), []clicks.Click{{ID: click, LinkID: f.links[partner], Visitor: event}}); err != nil {
		t.Fatal(err)
	}
	f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: event, CustomerID: "cus_" + event,
		ClickID: click, Amount: amount, Currency: "USD"})
}

// approveAll ends every hold and runs the approval job.
func (f *payFixture) approveAll(t *testing.T) {
	t.Helper()
	*f.now = f.now.AddDate(0, 0, 31)
	if _, err := f.comm.ApproveDue(context.Background(), 10000); err != nil {
		t.Fatal(err)
	}
}

func (f *payFixture) setMethod(t *testing.T, partner string, kind tandem.PayoutMethodKind, details map[string]string) {
	t.Helper()
	if _, err := f.pay.SetMethod(context.Background(), partner, kind, details); err != nil {
		t.Fatal(err)
	}
}

// sendAll sends every approved line of the batch through the providers, as
// the send jobs do; a line without a provider stays approved.
func (f *payFixture) sendAll(t *testing.T, b *tandem.PayoutBatch, providers payout.Providers) {
	t.Helper()
	ctx := context.Background()
	for _, l := range b.Lines {
		if l.Status != tandem.LineApproved || providers[l.MethodKind] == nil {
			continue
		}
		sl, err := f.pay.StartSending(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := providers[sl.MethodKind].Send(ctx, sl)
		if err != nil {
			t.Fatal(err)
		}
		if r.Settled {
			if err := f.pay.SettleLine(ctx, l.ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func commissionStatuses(t *testing.T, db *sqldb.DB) map[tandem.CommissionStatus]int {
	t.Helper()
	out := map[tandem.CommissionStatus]int{}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT status, COUNT(*) FROM commissions GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s tandem.CommissionStatus
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			out[s] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPayoutBatchLifecycle(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newPayFixture(t, db)
		if err := f.pay.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: f.prog.ID, Schedule: tandem.ScheduleMonthly, DayOfMonth: 1,
			Minimums: map[string]int64{"USD": 5000}}); err != nil {
			t.Fatal(err)
		}
		small, nomethod := f.addPartner(t), f.addPartner(t)
		f.earn(t, f.partner, "s1", 50000) // 100.00
		f.earn(t, f.partner, "s2", 25000) // 50.00
		f.earn(t, small, "s3", 10000)     // 20.00: below the 50.00 minimum
		f.earn(t, nomethod, "s4", 50000)
		f.setMethod(t, f.partner, tandem.MethodPayPal, map[string]string{"email": "Jane@Example.com"})
		f.setMethod(t, small, tandem.MethodPayPal, map[string]string{"email": "small@example.com"})
		f.approveAll(t)

		b, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != tandem.BatchProposed || len(b.Lines) != 1 || b.Total != 15000 || len(b.Skipped) != 2 {
			t.Fatalf("proposal: %+v lines %+v", b, b.Lines)
		}
		reasons := map[string]string{}
		for _, s := range b.Skipped {
			reasons[s.PartnerID] = s.Reason
		}
		if reasons[small] != "20.00 USD is below the minimum payout of 50.00 USD." || reasons[nomethod] != "No payout method on the partner's profile." {
			t.Fatalf("skipped: %+v", b.Skipped)
		}

		// A commission approved after the proposal does not slip in.
		f.earn(t, f.partner, "s5", 5000)
		f.approveAll(t)
		// A refund of a proposed commission lowers the line at approval.
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: "r2", Parent: "s2", Amount: 5000})
		b, err = f.pay.ApproveBatch(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != tandem.BatchApproved || b.Lines[0].Amount != 14000 || b.Lines[0].Status != tandem.LineApproved {
			t.Fatalf("approved: %+v %+v", b, b.Lines[0])
		}
		if _, err := f.pay.ApproveBatch(ctx, b.ID); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("second approval: %v", err)
		}
		if st := commissionStatuses(t, db); st[tandem.CommissionInPayout] != 2 {
			t.Fatalf("statuses after approval: %v", st)
		}

		// Sending exports the PayPal line; finance marks it paid.
		f.sendAll(t, b, payout.DefaultProviders())
		if _, err := f.pay.MarkPaid(ctx, b.ID, nil, ""); tandem.ErrorField(err) != "reference" {
			t.Fatalf("no reference: %v", err)
		}
		if n, err := f.pay.MarkPaid(ctx, b.ID, nil, "PAYPAL-BATCH-1"); err != nil || n != 1 {
			t.Fatalf("mark paid: %d %v", n, err)
		}
		if _, err := f.pay.MarkPaid(ctx, b.ID, []string{b.Lines[0].ID}, "again"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("paid twice: %v", err)
		}
		if got := f.balance(t, tandem.AccountPaid); got != 14000 {
			t.Fatalf("paid balance %d", got)
		}
		if got := f.balance(t, tandem.AccountPayable); got != 1000 { // s5's 10.00 waits for the next batch
			t.Fatalf("payable after payout %d", got)
		}
		if b, _ = f.pay.Batch(ctx, b.ID); b.Status != tandem.BatchPaid {
			t.Fatalf("batch after payment: %s", b.Status)
		}
		if st := commissionStatuses(t, db); st[tandem.CommissionPaid] != 2 || st[tandem.CommissionInPayout] != 0 {
			t.Fatalf("statuses after payment: %v", st)
		}
		if sqldbtest.LastLink(t, db, "ok@example.com", "payout_paid") == "" {
			t.Fatal("no payout email")
		}

		// A refund after the payout is a clawback: netted from the next line.
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: "r1", Parent: "s1", Amount: 25000}) // −50.00
		f.earn(t, f.partner, "s6", 50000)                                                                              // +100.00
		f.approveAll(t)
		*f.now = f.now.AddDate(0, 1, 0)
		b2, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(b2.Lines) != 1 || b2.Lines[0].Amount != 1000+10000-5000 {
			t.Fatalf("netted line: %+v", b2.Lines)
		}
		f.verify(t)
	})
}

func TestPayoutBadInput(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newPayFixture(t, db)
		for _, tc := range []struct {
			kind    tandem.PayoutMethodKind
			details map[string]string
			field   string
		}{
			{tandem.MethodPayPal, map[string]string{"email": "not-an-email"}, "email"},
			{tandem.MethodWise, map[string]string{"name": "J", "email": "j@example.com", "iban": "DE89370400440532013001"}, "iban"},
			{tandem.MethodStripeConnect, map[string]string{"account_id": "acct 1"}, "account_id"},
			{"cheque", nil, "kind"},
		} {
			if _, err := f.pay.SetMethod(ctx, f.partner, tc.kind, tc.details); tandem.ErrorField(err) != tc.field {
				t.Errorf("%s %v: %v", tc.kind, tc.details, err)
			}
		}
		if _, err := f.pay.Method(ctx, f.partner); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Fatalf("a refused method was stored: %v", err)
		}
		// A batch with nothing to pay is refused.
		b, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.pay.ApproveBatch(ctx, b.ID); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("empty batch approved: %v", err)
		}
		if b, _ = f.pay.Batch(ctx, b.ID); b.Status != tandem.BatchProposed {
			t.Fatalf("empty batch: %s", b.Status)
		}
		// A program in USD cannot pay through a method that has no USD.
		f.earn(t, f.partner, "s1", 50000)
		f.approveAll(t)
		f.setMethod(t, f.partner, tandem.MethodWise, map[string]string{"name": "Jane", "email": "j@example.com", "iban": "DE89 3704 0044 0532 0130 00"})
		if err := f.pay.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: f.prog.ID, Methods: []tandem.PayoutMethodKind{tandem.MethodPayPal}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pay.RequestPayout(ctx, f.prog.ID, f.partner); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("request through a method the program refuses: %v", err)
		}
		if err := f.pay.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: f.prog.ID, Currency: "EUR"}); tandem.ErrorField(err) != "currency" {
			t.Fatalf("payout currency: %v", err)
		}
	})
}

// TestPayoutRequestStorm: 200 simultaneous requests for a balance that
// covers one payout; exactly one succeeds.
func TestPayoutRequestStorm(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newPayFixture(t, db)
		f.earn(t, f.partner, "s1", 50000)
		f.setMethod(t, f.partner, tandem.MethodPayPal, map[string]string{"email": "jane@example.com"})
		f.approveAll(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, map[string]int{}
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.pay.RequestPayout(ctx, f.prog.ID, f.partner)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else {
					refused[tandem.ErrorCode(err)]++
				}
			}()
		}
		wg.Wait()
		if ok != 1 || refused[tandem.EINTERNAL] > 0 {
			t.Fatalf("%d succeeded; refused %v", ok, refused)
		}
		lines, err := f.pay.Lines(ctx, tandem.LineFilter{PartnerID: f.partner})
		if err != nil || len(lines) != 1 || lines[0].Amount != 10000 {
			t.Fatalf("lines: %+v %v", lines, err)
		}
	})
}

// failingProvider refuses every line, as Stripe refuses a closed account.
type failingProvider struct{}

func (failingProvider) Send(context.Context, *tandem.PayoutLine) (payout.Result, error) {
	return payout.Result{Settled: true, Failed: true, Reason: "Stripe: No such destination"}, nil
}

func TestPayoutHoldsFailuresAndSchedule(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newPayFixture(t, db)
		other := f.addPartner(t)
		f.earn(t, f.partner, "s1", 50000)
		f.earn(t, other, "s2", 30000)
		f.setMethod(t, f.partner, tandem.MethodStripeConnect, map[string]string{"account_id": "acct_1A2b3C4d5E6f"})
		f.setMethod(t, other, tandem.MethodProductCredit, map[string]string{"customer_id": "cus_42"})
		f.approveAll(t)

		// Nothing is due on a manual schedule; a weekly one is due once its
		// day has come and no batch was proposed since.
		if due, err := f.pay.DuePrograms(ctx); err != nil || len(due) != 0 {
			t.Fatalf("manual schedule due: %v %v", due, err)
		}
		if err := f.pay.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: f.prog.ID, Schedule: tandem.ScheduleWeekly, Weekday: f.now.Weekday()}); err != nil {
			t.Fatal(err)
		}
		if due, err := f.pay.DuePrograms(ctx); err != nil || len(due) != 1 {
			t.Fatalf("weekly schedule due: %v %v", due, err)
		}

		b, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil || len(b.Lines) != 2 {
			t.Fatalf("proposal: %+v %v", b, err)
		}
		if due, _ := f.pay.DuePrograms(ctx); len(due) != 0 {
			t.Fatalf("still due after the proposal: %v", due)
		}
		// Holding a line keeps its commissions out of batches until released.
		var held *tandem.PayoutLine
		for _, l := range b.Lines {
			if l.PartnerID == other {
				held = l
			}
		}
		if err := f.pay.HoldLine(ctx, held.ID, ""); tandem.ErrorField(err) != "reason" {
			t.Fatalf("hold without a reason: %v", err)
		}
		if err := f.pay.HoldLine(ctx, held.ID, "Tax form missing"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pay.RequestPayout(ctx, f.prog.ID, other); tandem.ErrorCode(err) != tandem.EINVALID ||
			tandem.ErrorMessage(err) != "Nothing can be paid now: 60.00 USD is held by finance." {
			t.Fatalf("request while held: %v", err)
		}
		if err := f.pay.RemoveLine(ctx, held.ID); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("remove a held line: %v", err)
		}

		// A line the provider refuses fails with the reason; its commissions
		// are payable again, and the batch is settled as failed.
		b, err = f.pay.ApproveBatch(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.sendAll(t, b, payout.Providers{tandem.MethodStripeConnect: failingProvider{}})
		lines, _ := f.pay.Lines(ctx, tandem.LineFilter{BatchID: b.ID, Status: tandem.LineFailed})
		if len(lines) != 1 || lines[0].FailureReason != "Stripe: No such destination" {
			t.Fatalf("failed lines: %+v", lines)
		}
		if b, _ = f.pay.Batch(ctx, b.ID); b.Status != tandem.BatchFailed {
			t.Fatalf("batch after failure: %s", b.Status)
		}
		if st := commissionStatuses(t, db); st[tandem.CommissionApproved] != 2 || st[tandem.CommissionInPayout] != 0 {
			t.Fatalf("statuses after failure: %v", st)
		}
		if got := f.balance(t, tandem.AccountPayable); got != 10000 {
			t.Fatalf("payable after failure: %d", got)
		}

		// Released, the held commissions go with the next batch, as credit.
		if n, err := f.pay.ReleaseHolds(ctx, other); err != nil || n != 1 {
			t.Fatalf("release: %d %v", n, err)
		}
		b2, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil || len(b2.Lines) != 2 {
			t.Fatalf("second proposal: %+v %v", b2, err)
		}
		if err := f.pay.CancelBatch(ctx, b2.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.pay.CancelBatch(ctx, b2.ID); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("cancel twice: %v", err)
		}
		b3, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil || len(b3.Lines) != 2 {
			t.Fatalf("third proposal: %+v %v", b3, err)
		}
		if _, err := f.pay.ApproveBatch(ctx, b3.ID); err != nil {
			t.Fatal(err)
		}
		b3, _ = f.pay.Batch(ctx, b3.ID)
		f.sendAll(t, b3, payout.DefaultProviders())
		credit, _ := f.pay.Lines(ctx, tandem.LineFilter{Method: tandem.MethodProductCredit, Status: tandem.LinePaid})
		if len(credit) != 1 || credit[0].ExternalRef != "credit:cus_42" || credit[0].Amount != 6000 {
			t.Fatalf("credit lines: %+v", credit)
		}
		if unsent, err := f.pay.Unsent(ctx, f.now.Add(time.Hour)); err != nil || len(unsent) != 1 {
			t.Fatalf("unsent (the Stripe line, with no Stripe provider): %v %v", unsent, err)
		}
		f.verify(t)
	})
}

func TestPayoutStatements(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newPayFixture(t, db)
		start := *f.now
		f.earn(t, f.partner, "s1", 50000)
		f.earn(t, f.partner, "s2", 10000)
		f.setMethod(t, f.partner, tandem.MethodPayPal, map[string]string{"email": "jane@example.com"})
		f.approveAll(t)
		b, err := f.pay.Propose(ctx, f.prog.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = f.pay.ApproveBatch(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t, b, payout.DefaultProviders())
		if _, err := f.pay.MarkPaid(ctx, b.ID, nil, "PP-9"); err != nil {
			t.Fatal(err)
		}
		*f.now = f.now.Add(time.Minute)
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: "r2", Parent: "s2"}) // a clawback of 20.00

		st, err := f.pay.PayoutStatement(ctx, f.partner, b.Lines[0].ID)
		if err != nil || len(st.Rows) != 3 || st.Rows[2].Kind != "payout" || st.Rows[2].Amount != -12000 || st.Rows[2].Reference != "PP-9" {
			t.Fatalf("payout statement: %+v %v", st, err)
		}
		if _, err := f.pay.PayoutStatement(ctx, "prt_someoneelse", b.Lines[0].ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Fatalf("another partner's statement: %v", err)
		}
		period, err := f.pay.PeriodStatement(ctx, f.partner, "USD", start, f.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		kinds := ""
		for _, r := range period.Rows {
			kinds += r.Kind + " "
		}
		if period.Opening != 0 || period.Closing != -2000 || kinds != "commission commission payout clawback " {
			t.Fatalf("period statement: %s %+v", kinds, period)
		}
		bal, err := f.pay.Balances(ctx, f.partner)
		if err != nil || len(bal) != 1 || bal[0].Payable != -2000 || !strings.HasPrefix(bal[0].NotPayable, "Refunds after earlier payouts left 20.00 USD owed") {
			t.Fatalf("balances: %+v %v", bal, err)
		}
	})
}
