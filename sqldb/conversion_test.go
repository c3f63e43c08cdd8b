package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// moneyFixture is clickFixture with a 20 % plan (30-day hold) and a click on
// the approved partner's link, on a clock the test moves.
type moneyFixture struct {
	db      *sqldb.DB
	now     *time.Time
	prog    *tandem.Program
	partner string
	click   string
	conv    *sqldb.ConversionService
	comm    *sqldb.CommissionService
	ledger  *sqldb.LedgerService
}

func newMoneyFixture(t *testing.T, db *sqldb.DB, rules ...tandem.Rule) *moneyFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	prog, link, _ := clickFixture(t, db)
	if len(rules) == 0 {
		rules = []tandem.Rule{
			{Key: "sales", Name: "Sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale, tandem.TriggerRenewal},
				Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(20), HoldDays: 30},
		}
	}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, prog.ID, "Standard", rules, time.Time{}); err != nil {
		t.Fatal(err)
	}
	click := tandem.NewID(tandem.PrefixClick)
	if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: link.ID, Visitor: "v1"}}); err != nil {
		t.Fatal(err)
	}
	return &moneyFixture{db: db, now: &now, prog: prog, partner: link.PartnerID, click: click,
		conv: sqldb.NewConversionService(db), comm: sqldb.NewCommissionService(db), ledger: sqldb.NewLedgerService(db)}
}

func (f *moneyFixture) record(t *testing.T, in tandem.ConversionInput) tandem.ConversionResult {
	t.Helper()
	in.ProgramID = f.prog.ID
	res, err := f.conv.RecordConversion(context.Background(), in, "")
	if err != nil {
		t.Fatalf("record %s: %v", in.EventID, err)
	}
	return res
}

func (f *moneyFixture) balance(t *testing.T, typ tandem.AccountType) int64 {
	t.Helper()
	bs, err := f.ledger.Balances(context.Background(), f.partner)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Type == typ && b.Currency == "USD" {
			return b.Amount
		}
	}
	return 0
}

func (f *moneyFixture) verify(t *testing.T) {
	t.Helper()
	if err := f.ledger.VerifyLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestConversionLifecycle(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db)
		sale := tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_1", CustomerID: "cus_ext_1", ClickID: f.click,
			Amount: 14900, Currency: "USD"}
		res := f.record(t, sale)
		c := res.Conversion
		if res.Replayed || c.PartnerID != f.partner || c.Attribution != "last_click" || len(c.Commissions) != 1 {
			t.Fatalf("sale: %+v", res)
		}
		k := c.Commissions[0]
		if k.Amount != 2980 || k.Status != tandem.CommissionPending || !k.HoldUntil.Equal(f.now.AddDate(0, 0, 30)) {
			t.Fatalf("commission: %+v", k)
		}
		if got := f.balance(t, tandem.AccountPending); got != 2980 {
			t.Fatalf("pending balance %d", got)
		}

		// A retry answers the same conversion; the same ID with other content is refused.
		again := f.record(t, sale)
		if !again.Replayed || again.Conversion.ID != c.ID || len(again.Conversion.Commissions) != 1 {
			t.Fatalf("replay: %+v", again)
		}
		changed := sale
		changed.Amount = 100
		changed.ProgramID = f.prog.ID
		if _, err := f.conv.RecordConversion(ctx, changed, ""); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("changed event: %v", err)
		}

		// A partial refund inside the hold reduces the pending commission.
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: "re_1", Parent: "in_1", Amount: 4900})
		if got := f.balance(t, tandem.AccountPending); got != 2980-980 {
			t.Fatalf("pending after refund %d", got)
		}
		// A refund larger than what is left is refused and changes nothing.
		_, err := f.conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionRefund, EventID: "re_2", Parent: "in_1", Amount: 10001}, "")
		if tandem.ErrorField(err) != "amount" {
			t.Fatalf("oversized refund: %v", err)
		}

		// The hold ends: the job approves what is left.
		*f.now = f.now.AddDate(0, 0, 31)
		if n, err := f.comm.ApproveDue(ctx, 100); err != nil || n != 1 {
			t.Fatalf("approve due: %d %v", n, err)
		}
		if p, a := f.balance(t, tandem.AccountPending), f.balance(t, tandem.AccountPayable); p != 0 || a != 2000 {
			t.Fatalf("after approval pending %d payable %d", p, a)
		}
		// A refund after approval is a clawback on payable.
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRefund, EventID: "re_3", Parent: "in_1"})
		if a := f.balance(t, tandem.AccountPayable); a != 0 {
			t.Fatalf("payable after full refund %d", a)
		}
		ks, err := f.comm.Commissions(ctx, tandem.CommissionFilter{ConversionID: c.ID})
		if err != nil || len(ks) != 1 || ks[0].Status != tandem.CommissionReversed || ks[0].Reversed != 2980 {
			t.Fatalf("reversed commission: %+v %v", ks, err)
		}
		f.verify(t)
	})
}

func TestConversionRenewalsAndCancellation(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db)
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_1", CustomerEmail: "Buyer@Example.com", ClickID: f.click, Amount: 10000, Currency: "USD"})
		*f.now = f.now.AddDate(0, 1, 0)
		// A renewal without a click stays with the customer's partner (the lifetime lock).
		r := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionRenewal, EventID: "in_2", CustomerEmail: "buyer@example.com", Amount: 10000, Currency: "USD"})
		if r.Conversion.PartnerID != f.partner || r.Conversion.Attribution != "customer_lock" || len(r.Conversion.Commissions) != 1 {
			t.Fatalf("renewal: %+v", r.Conversion)
		}
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionCancellation, EventID: "sub_end", CustomerEmail: "buyer@example.com"})
		_, err := f.conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionRenewal, EventID: "in_3",
			CustomerEmail: "buyer@example.com", Amount: 10000, Currency: "USD"}, "")
		if tandem.ErrorField(err) != "customer" {
			t.Fatalf("renewal after cancellation: %v", err)
		}
		// Bad input changes nothing.
		for _, in := range []tandem.ConversionInput{
			{Kind: tandem.ConversionSale, EventID: "x1", CustomerID: "c", Amount: 100, Currency: "XXY"},
			{Kind: tandem.ConversionSale, EventID: "x2", CustomerID: "c", Amount: -5, Currency: "USD"},
			{Kind: tandem.ConversionSale, EventID: "x3", CustomerID: "c", Amount: 100, Currency: "USD", ClickID: "clk_nope"},
			{Kind: tandem.ConversionSale, EventID: "x4", CustomerID: "c", Amount: 100, Currency: "USD", OccurredAt: f.now.AddDate(0, 0, 3)},
			{Kind: tandem.ConversionRefund, EventID: "x5", Parent: "nope"},
		} {
			in.ProgramID = f.prog.ID
			if _, err := f.conv.RecordConversion(ctx, in, ""); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("%s: %v", in.EventID, err)
			}
		}
		if n := resCount(t, db, "conversions"); n != 3 {
			t.Fatalf("%d conversions", n)
		}
		f.verify(t)
	})
}

func TestIdempotencyKey(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db)
		in := tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionSale, EventID: "e1", CustomerID: "c1", Amount: 500, Currency: "USD"}
		first, err := f.conv.RecordConversion(ctx, in, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.conv.RecordConversion(ctx, in, "key-1")
		if err != nil || !second.Replayed || second.Conversion.ID != first.Conversion.ID {
			t.Fatalf("replay: %+v %v", second, err)
		}
		in.EventID = "e2"
		if _, err := f.conv.RecordConversion(ctx, in, "key-1"); tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "Idempotency-Key" {
			t.Fatalf("same key, other body: %v", err)
		}
		if n := resCount(t, db, "conversions"); n != 1 {
			t.Fatalf("%d conversions", n)
		}
	})
}

// TestAgreementHold: a partner who has not accepted the current agreement
// earns commissions held for it; accepting releases them to the hold job,
// except those above the manual approval limit, which wait for finance.
func TestAgreementHold(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db, tandem.Rule{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale},
			Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(20), HoldDays: 1, ManualApprovalOver: 5000})
		agreements := sqldb.NewAgreementService(db)
		v, err := agreements.PublishAgreement(ctx, f.prog.ID, "Terms", "Be nice.")
		if err != nil {
			t.Fatal(err)
		}
		small := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "s1", CustomerID: "c1", ClickID: f.click, Amount: 10000, Currency: "USD"})
		big := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "s2", CustomerID: "c2", ClickID: f.click, Amount: 50000, Currency: "USD"})
		for _, r := range []tandem.ConversionResult{small, big} {
			if k := r.Conversion.Commissions[0]; k.BlockedBy != tandem.BlockedAgreement {
				t.Fatalf("held for the agreement: %+v", k)
			}
		}
		*f.now = f.now.AddDate(0, 0, 2)
		if n, err := f.comm.ApproveDue(ctx, 100); err != nil || n != 0 {
			t.Fatalf("approved %d while held: %v", n, err)
		}
		pu, err := sqldb.NewAccountService(db).CreatePartnerUser(ctx, f.partner, "ok-user@example.com", "Ok Partner")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agreements.AcceptAgreement(ctx, pu.ID, f.prog.ID, v.ID, "Ok Partner"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.comm.ApproveDue(ctx, 100); err != nil || n != 1 {
			t.Fatalf("approved %d after acceptance: %v", n, err)
		}
		ks, err := f.comm.Commissions(ctx, tandem.CommissionFilter{ConversionID: big.Conversion.ID})
		if err != nil || ks[0].Status != tandem.CommissionPending || ks[0].BlockedBy != tandem.BlockedManual {
			t.Fatalf("big commission waits for finance: %+v %v", ks, err)
		}
		f.verify(t)
	})
}

// TestReferralAttribution: a sale naming a partner's referral is theirs,
// even with another partner's coupon; an unknown referral is refused.
func TestReferralAttribution(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db)
		other := resMember(t, db, f.prog.ID, "other@example.com", tandem.MembershipApproved, "")
		if _, err := sqldb.NewCouponService(db).CreateCoupon(ctx, f.prog.ID, other.ID, "OTHER10"); err != nil {
			t.Fatal(err)
		}
		ref, err := sqldb.NewReferralService(db).CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner,
			Source: tandem.ReferralFromAPI, Email: "lead@buyer.example"})
		if err != nil {
			t.Fatal(err)
		}
		res := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "s1", CustomerEmail: "lead@buyer.example",
			ReferralID: ref.ID, Coupon: "other10", Amount: 1000, Currency: "USD"})
		if res.Conversion.PartnerID != f.partner || res.Conversion.Attribution != "referral" {
			t.Fatalf("%+v", res.Conversion)
		}
		_, err = f.conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionSale, EventID: "s2",
			CustomerID: "c2", ReferralID: "ref_nope", Amount: 1000, Currency: "USD"}, "")
		if tandem.ErrorField(err) != "referral_id" {
			t.Fatalf("unknown referral: %v", err)
		}
		coupon := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "s3", CustomerID: "c3", Coupon: "OTHER10", Amount: 1000, Currency: "USD"})
		if coupon.Conversion.PartnerID != other.ID || coupon.Conversion.Attribution != "coupon" {
			t.Fatalf("%+v", coupon.Conversion)
		}
	})
}
