package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// resQuery reads one row of SQL the services do not offer.
func resQuery(t *testing.T, db *sqldb.DB, query string, args []any, into ...any) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { return tx.QueryRow(query, args...).Scan(into...) }); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func pct(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

// leadRules pay 20% of sales and a 25.00 fee per qualified lead.
var leadRules = []tandem.Rule{
	{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage, Rate: pct(20), HoldDays: 30},
	{Key: "lead", Triggers: []tandem.Trigger{tandem.TriggerLeadQualified}, Kind: tandem.KindFixed, Amount: 2500, HoldDays: 30},
}

// partnerReferrals returns the partner's referrals, oldest first.
func (f *moneyFixture) partnerReferrals(t *testing.T) []*tandem.Referral {
	t.Helper()
	rs, err := sqldb.NewReferralService(f.db).FindReferrals(context.Background(), tandem.ReferralFilter{ProgramID: f.prog.ID, PartnerID: f.partner})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// history is a referral's status changes as "from→to" strings.
func history(t *testing.T, db *sqldb.DB, id string) []string {
	t.Helper()
	es, err := sqldb.NewReferralService(db).FindReferralEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, string(e.From)+"→"+string(e.To))
	}
	return out
}

// leadFees counts the partner's lead fee commissions.
func (f *moneyFixture) leadFees(t *testing.T) int {
	t.Helper()
	ks, err := f.comm.Commissions(context.Background(), tandem.CommissionFilter{PartnerID: f.partner, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range ks {
		if k.RuleKey == "lead" {
			n++
		}
	}
	return n
}

// TestImplicitReferralFromFirstSale: a first sale attributed by a click
// makes the partner's referral, customer already, linked to the customer
// and the click's link, with the customer's email; replays and later sales
// make nothing more. A sale by coupon without email makes one without
// email; a partner's registered referral of the email becomes the
// customer's instead of a new one.
func TestImplicitReferralFromFirstSale(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newMoneyFixture(t, db, leadRules...)
		sale := tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_1", CustomerID: "ext_1", CustomerEmail: "Buyer@Shop.example",
			ClickID: f.click, Amount: 10000, Currency: "USD"}
		first := f.record(t, sale).Conversion
		for _, again := range []tandem.ConversionInput{sale, {Kind: tandem.ConversionSale, EventID: "in_2", CustomerID: "ext_1",
			Amount: 5000, Currency: "USD"}} {
			f.record(t, again)
		}
		rs := f.partnerReferrals(t)
		if len(rs) != 1 {
			t.Fatalf("%d referrals; want 1", len(rs))
		}
		r := rs[0]
		var linkID string
		resQuery(t, db, `SELECT link_id FROM clicks WHERE id = $1`, []any{f.click}, &linkID)
		if r.Source != tandem.ReferralFromConversion || r.Status != tandem.ReferralCustomer || r.CustomerID != first.CustomerID ||
			r.Email != "buyer@shop.example" || r.Domain != "shop.example" || r.LinkID != linkID || !r.ConvertedAt.Equal(first.OccurredAt) ||
			r.Conflict != tandem.ConflictNone || !tandem.HasPrefix(r.ID, tandem.PrefixReferral) {
			t.Errorf("implicit referral = %+v", r)
		}
		if h := history(t, db, r.ID); len(h) != 1 || h[0] != "→customer" {
			t.Errorf("history %v", h)
		}

		// By coupon, no email: a referral without email or link.
		*f.now = f.now.Add(time.Minute)
		resExec(t, db, `INSERT INTO coupons (id, program_id, partner_id, code, created_at) VALUES ('cpn_1', $1, $2, 'SAVE', 0)`, f.prog.ID, f.partner)
		byCoupon := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_3", CustomerID: "ext_3", Coupon: "save",
			Amount: 1000, Currency: "USD"}).Conversion
		// The partner registered this email: the sale makes that referral the customer's.
		*f.now = f.now.Add(time.Minute)
		registered, err := sqldb.NewReferralService(db).CreateReferral(context.Background(), tandem.ReferralInput{ProgramID: f.prog.ID,
			PartnerID: f.partner, Source: tandem.ReferralFromPartner, Email: "lead@corp.example", Name: "Lead"})
		if err != nil {
			t.Fatal(err)
		}
		won := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_4", CustomerEmail: "lead@corp.example",
			ClickID: f.click, Amount: 1000, Currency: "USD"}).Conversion
		rs = f.partnerReferrals(t)
		if len(rs) != 3 {
			t.Fatalf("%d referrals; want 3", len(rs))
		}
		if rs[1].CustomerID != byCoupon.CustomerID || rs[1].Email != "" || rs[1].LinkID != "" || rs[1].Status != tandem.ReferralCustomer {
			t.Errorf("referral by coupon = %+v", rs[1])
		}
		if rs[2].ID != registered.ID || rs[2].Status != tandem.ReferralCustomer || rs[2].CustomerID != won.CustomerID {
			t.Errorf("registered referral after the sale = %+v", rs[2])
		}
		// An unattributed sale makes no referral.
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_5", CustomerID: "ext_5", Amount: 1000, Currency: "USD"})
		if n := resCount(t, db, "referrals"); n != 3 {
			t.Errorf("%d referrals after an unattributed sale; want 3", n)
		}
		f.verify(t)
	})
}

// TestLeadIsNotACustomer: a lead_qualified event creates no customer row,
// makes the partner's referral qualified (with the lead's email) and earns
// the lead fee once; a later registration of the email by another partner
// is a duplicate of that referral, and the lead's sale is attributed to it.
func TestLeadIsNotACustomer(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newMoneyFixture(t, db, leadRules...)
		resExec(t, db, `UPDATE programs SET protection_days = 30`)
		lead := tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "lead_1", CustomerID: "ext_9",
			CustomerEmail: "prospect@corp.example", ClickID: f.click}
		c := f.record(t, lead).Conversion
		again := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "lead_2",
			CustomerEmail: "prospect@corp.example", ClickID: f.click}).Conversion
		if n := resCount(t, db, "customers"); n != 0 || c.CustomerID != "" {
			t.Errorf("%d customers, conversion's customer %q after leads; want none", n, c.CustomerID)
		}
		rs := f.partnerReferrals(t)
		if len(rs) != 1 || rs[0].Status != tandem.ReferralQualified || rs[0].Email != "prospect@corp.example" || c.ReferralID != rs[0].ID ||
			again.ReferralID != rs[0].ID || rs[0].QualifiedAt.IsZero() {
			t.Fatalf("referrals %+v, lead names %q and %q", rs, c.ReferralID, again.ReferralID)
		}
		if len(c.Commissions) != 1 || c.Commissions[0].Amount != 2500 || len(again.Commissions) != 0 || again.NoCommission == "" {
			t.Errorf("first lead earns %+v; second %+v (%q)", c.Commissions, again.Commissions, again.NoCommission)
		}
		other := resMember(t, db, f.prog.ID, "other@partner.example", tandem.MembershipApproved, "")
		dup, err := sqldb.NewReferralService(db).CreateReferral(context.Background(), tandem.ReferralInput{ProgramID: f.prog.ID,
			PartnerID: other.ID, Source: tandem.ReferralFromPartner, Email: "prospect@corp.example"})
		if err != nil || dup.Status != tandem.ReferralDuplicate || dup.ConflictWithID != rs[0].ID {
			t.Errorf("another partner's registration = %+v %v", dup, err)
		}
		// The lead buys without a click (or with another partner's coupon):
		// the referral protecting the email attributes the sale and becomes
		// the customer's; no second referral.
		resExec(t, db, `INSERT INTO coupons (id, program_id, partner_id, code, created_at) VALUES ('cpn_o', $1, $2, 'OTHER', 0)`, f.prog.ID, other.ID)
		sale := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_1", CustomerID: "ext_9",
			CustomerEmail: "prospect@corp.example", Coupon: "other", Amount: 10000, Currency: "USD"}).Conversion
		won := f.partnerReferrals(t)
		if sale.PartnerID != f.partner || sale.Attribution != "referral" || sale.ReferralID != rs[0].ID || len(won) != 1 ||
			won[0].Status != tandem.ReferralCustomer || won[0].CustomerID != sale.CustomerID || len(sale.Commissions) != 1 {
			t.Errorf("the lead's sale = %+v; referrals %+v", sale, won)
		}
		// Once a customer, the referral attributes no one else's sale of the email.
		next := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_2", CustomerID: "ext_10",
			CustomerEmail: "prospect@corp.example", Coupon: "other", Amount: 10000, Currency: "USD"}).Conversion
		if next.PartnerID != other.ID || next.Attribution != "coupon" {
			t.Errorf("a later sale of the email to a new customer = %+v", next)
		}
		f.verify(t)
	})
}

// An event naming a duplicate referral is the original's: first
// registration wins, for the sale and for the pipeline.
func TestEventNamingADuplicateIsTheOriginals(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db, leadRules...)
		resExec(t, db, `UPDATE programs SET protection_days = 30`)
		refs := sqldb.NewReferralService(db)
		original, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner,
			Source: tandem.ReferralFromPartner, Email: "buyer@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		other := resMember(t, db, f.prog.ID, "other@partner.example", tandem.MembershipApproved, "")
		dup, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: other.ID,
			Source: tandem.ReferralFromPartner, Email: "buyer@corp.example"})
		if err != nil || dup.Status != tandem.ReferralDuplicate || dup.ConflictWithID != original.ID {
			t.Fatalf("the second registration = %+v %v", dup, err)
		}
		sale := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_dup", CustomerID: "ext_1",
			ReferralID: dup.ID, Amount: 10000, Currency: "USD"}).Conversion
		won, err := refs.FindReferralByID(ctx, original.ID)
		if err != nil || sale.PartnerID != f.partner || sale.ReferralID != original.ID || sale.Attribution != "referral" ||
			len(sale.Commissions) != 1 || won.Status != tandem.ReferralCustomer || won.CustomerID != sale.CustomerID {
			t.Errorf("a sale naming the duplicate = %+v; original %+v %v", sale, won, err)
		}
		if got, err := refs.FindReferralByID(ctx, dup.ID); err != nil || got.Status != tandem.ReferralDuplicate {
			t.Errorf("the duplicate after the sale = %+v %v", got, err)
		}

		// Once the original no longer holds the email (rejected here), an
		// event naming the duplicate is the duplicate's own.
		original2, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner,
			Source: tandem.ReferralFromPartner, Email: "second@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		dup2, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: other.ID,
			Source: tandem.ReferralFromPartner, Email: "second@corp.example"})
		if err != nil || dup2.ConflictWithID != original2.ID {
			t.Fatalf("the second duplicate = %+v %v", dup2, err)
		}
		if _, err := refs.ChangeReferralStatus(ctx, original2.ID, tandem.ReferralRejected, "Not a fit."); err != nil {
			t.Fatal(err)
		}
		own := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "in_dup2", CustomerID: "ext_2",
			ReferralID: dup2.ID, Amount: 10000, Currency: "USD"}).Conversion
		if own.PartnerID != other.ID || own.ReferralID != dup2.ID {
			t.Errorf("a sale naming the duplicate of a rejected referral = %+v", own)
		}
		f.verify(t)
	})
}

// TestQualifiedReferralEarnsLeadFeeOnce: qualifying a referral records its
// lead_qualified conversion with the lead fee; an API lead event naming it
// afterwards earns nothing. The other order: an event naming a new referral
// qualifies it and earns; qualifying it again later (after lost and
// reopened) records nothing.
func TestQualifiedReferralEarnsLeadFeeOnce(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db, leadRules...)
		refs := sqldb.NewReferralService(db)
		register := func(email string) *tandem.Referral {
			r, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner, Source: tandem.ReferralFromPartner, Email: email})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		move := func(id string, to tandem.ReferralStatus, reason string) {
			if _, err := refs.ChangeReferralStatus(ctx, id, to, reason); err != nil {
				t.Fatalf("%s to %s: %v", id, to, err)
			}
		}
		conversionsOf := func(id string) int {
			var n int
			resQuery(t, db, `SELECT COUNT(*) FROM conversions WHERE referral_id = $1 AND kind = 'lead_qualified'`, []any{id}, &n)
			return n
		}

		// Manager first, then the API.
		a := register("a@corp.example")
		move(a.ID, tandem.ReferralQualified, "")
		cs, err := f.conv.Conversions(ctx, tandem.ConversionFilter{ProgramID: f.prog.ID, Kind: tandem.ConversionLeadQualified})
		if err != nil || len(cs) != 1 || cs[0].EventID != "referral_qualified:"+a.ID || cs[0].ReferralID != a.ID || cs[0].PartnerID != f.partner {
			t.Fatalf("after qualifying: %+v %v", cs, err)
		}
		if f.leadFees(t) != 1 || f.balance(t, tandem.AccountPending) != 2500 {
			t.Errorf("%d lead fees, pending %d; want 1 and 2500", f.leadFees(t), f.balance(t, tandem.AccountPending))
		}
		late := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "crm_a", ReferralID: a.ID}).Conversion
		if len(late.Commissions) != 0 || late.NoCommission == "" || f.leadFees(t) != 1 {
			t.Errorf("a lead event after qualifying earns %+v (%q)", late.Commissions, late.NoCommission)
		}

		// The API first, then the manager.
		b := register("b@corp.example")
		early := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "crm_b", ReferralID: b.ID}).Conversion
		got, err := refs.FindReferralByID(ctx, b.ID)
		if err != nil || got.Status != tandem.ReferralQualified || len(early.Commissions) != 1 || f.leadFees(t) != 2 {
			t.Fatalf("after the event: %+v %v; commissions %+v", got, err, early.Commissions)
		}
		move(b.ID, tandem.ReferralLost, "Went quiet.")
		move(b.ID, tandem.ReferralNew, "Back.")
		move(b.ID, tandem.ReferralQualified, "")
		if n := conversionsOf(b.ID); n != 1 || f.leadFees(t) != 2 {
			t.Errorf("%d lead conversions of b, %d lead fees; want 1 and 2", n, f.leadFees(t))
		}
		if h := history(t, db, b.ID); len(h) != 5 || h[1] != "new→qualified" {
			t.Errorf("history of b: %v", h)
		}

		// A turned-down referral earns no lead fee and stays as it is.
		c := register("c@corp.example")
		move(c.ID, tandem.ReferralRejected, "Not a fit.")
		rejected := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "crm_c", ReferralID: c.ID}).Conversion
		got, err = refs.FindReferralByID(ctx, c.ID)
		if err != nil || got.Status != tandem.ReferralRejected || len(rejected.Commissions) != 0 ||
			rejected.NoCommission != "Referral "+c.ID+" is rejected: it earns no lead fee." || f.leadFees(t) != 2 {
			t.Errorf("a lead event of a rejected referral: %+v %v; commissions %+v (%q)", got, err, rejected.Commissions, rejected.NoCommission)
		}
		// Reopened and qualified, it earns its fee: the event that earned
		// nothing does not count as its lead.
		move(c.ID, tandem.ReferralNew, "Second look.")
		move(c.ID, tandem.ReferralQualified, "")
		if n := conversionsOf(c.ID); n != 2 || f.leadFees(t) != 3 {
			t.Errorf("%d lead conversions of c, %d lead fees; want 2 and 3", n, f.leadFees(t))
		}
		f.verify(t)
	})
}

// A referral qualified, turned down, reopened and qualified again under a
// plan without a lead fee moves each time; its one lead conversion stays.
func TestRequalifyWithoutLeadFee(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db) // sales only: no lead fee
		refs := sqldb.NewReferralService(db)
		r, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner, Source: tandem.ReferralFromPartner, Email: "x@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			to     tandem.ReferralStatus
			reason string
		}{{tandem.ReferralQualified, ""}, {tandem.ReferralRejected, "No budget."}, {tandem.ReferralNew, ""}, {tandem.ReferralQualified, ""}} {
			*f.now = f.now.Add(time.Hour)
			if _, err := refs.ChangeReferralStatus(ctx, r.ID, step.to, step.reason); err != nil {
				t.Fatalf("to %s: %v", step.to, err)
			}
		}
		var n int
		resQuery(t, db, `SELECT COUNT(*) FROM conversions WHERE referral_id = $1 AND kind = 'lead_qualified'`, []any{r.ID}, &n)
		if n != 1 || f.leadFees(t) != 0 {
			t.Errorf("%d lead conversions, %d lead fees; want 1 and 0", n, f.leadFees(t))
		}
	})
}

// A referral earns its lead fee once when a manager qualifies it while an
// event names it, or when two events name it at once: on PostgreSQL the
// second transaction reads whether the fee is earned only after the first
// has committed. The event always succeeds; the manager may be told the
// referral changed meanwhile or is qualified already.
func TestLeadFeeOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db, leadRules...)
		refs := sqldb.NewReferralService(db)
		for _, manager := range []bool{true, false} {
			for i := range 15 {
				r, err := refs.CreateReferral(ctx, tandem.ReferralInput{ProgramID: f.prog.ID, PartnerID: f.partner,
					Source: tandem.ReferralFromPartner, Email: fmt.Sprintf("lead%d-%v@corp.example", i, manager)})
				if err != nil {
					t.Fatal(err)
				}
				errs := make(chan error, 2)
				var wg sync.WaitGroup
				for j := range 2 {
					wg.Go(func() {
						if manager && j == 1 {
							// Qualified by the event first: the manager is told so.
							_, err := refs.ChangeReferralStatus(ctx, r.ID, tandem.ReferralQualified, "")
							if code := tandem.ErrorCode(err); code != tandem.ECONFLICT && code != tandem.EINVALID {
								errs <- err
							}
							return
						}
						_, err := f.conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionLeadQualified,
							EventID: fmt.Sprintf("crm_%s_%d", r.ID, j), ReferralID: r.ID}, "")
						errs <- err
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("referral %d (manager %v): %v", i, manager, err)
					}
				}
				var n int
				resQuery(t, db, `SELECT COUNT(*) FROM conversions WHERE referral_id = $1 AND kind = 'lead_qualified' AND no_commission_reason = ''`, []any{r.ID}, &n)
				if n != 1 {
					t.Fatalf("referral %d (manager %v): %d lead conversions earned; want 1", i, manager, n)
				}
			}
		}
		if got := f.leadFees(t); got != 30 {
			t.Errorf("%d lead fees for 30 referrals", got)
		}
		f.verify(t)
	})
}

// The emails a partner gets about a referral a conversion made carry the
// buyer's email masked, as the portal shows it.
func TestReferralEmailsMaskBuyers(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newMoneyFixture(t, db, leadRules...)
		resExec(t, db, `INSERT INTO partner_users (id, partner_id, email, created_at, updated_at) VALUES ('pu_1', $1, 'partner@p.example', 0, 0)`, f.partner)
		resExec(t, db, `UPDATE programs SET protection_days = 90`)
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "l1", CustomerEmail: "jane.secret@buyer.example", ClickID: f.click})
		*f.now = f.now.Add(time.Hour)
		f.record(t, tandem.ConversionInput{Kind: tandem.ConversionSale, EventID: "s1", CustomerID: "c1", CustomerEmail: "jane.secret@buyer.example",
			Amount: 1000, Currency: "USD"}) // moves the lead's referral to customer: the partner is emailed
		var all, full, masked int
		resQuery(t, db, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN data LIKE '%jane.secret@buyer.example%' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN data LIKE '%j•••@buyer.example%' THEN 1 ELSE 0 END), 0) FROM emails WHERE to_address = 'partner@p.example'`, nil, &all, &full, &masked)
		if all == 0 || full != 0 || masked != all {
			t.Errorf("partner emails: %d, %d with the buyer's full address, %d masked", all, full, masked)
		}
	})
}

// A first sale whose implicit referral another transaction is storing at
// the same moment (the partner registering the email in the portal, on
// another instance) waits for it and then moves that referral: no error,
// no second referral.
func TestImplicitReferralMeetsAConcurrentRegistration(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newMoneyFixture(t, db, leadRules...)
		inserted, commit := make(chan struct{}), make(chan struct{})
		registered := make(chan error, 1)
		go func() {
			registered <- db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.Exec(`INSERT INTO referrals (id, program_id, partner_id, source, email, currency, status, protected_until, created_at, updated_at)
					VALUES ('ref_portal', $1, $2, 'partner_registered', 'buyer@corp.example', 'USD', 'new', $3, $4, $4)`,
					f.prog.ID, f.partner, f.now.Add(30*24*time.Hour).UnixMilli(), f.now.UnixMilli())
				close(inserted)
				<-commit
				return err
			})
		}()
		<-inserted
		sold := make(chan tandem.ConversionResult, 1)
		go func() {
			res, err := f.conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: f.prog.ID, Kind: tandem.ConversionSale, EventID: "in_1",
				CustomerID: "c1", CustomerEmail: "buyer@corp.example", ClickID: f.click, Amount: 10000, Currency: "USD"}, "")
			if err != nil {
				res.Err = err
			}
			sold <- res
		}()
		time.Sleep(200 * time.Millisecond) // the sale waits on the registration (PostgreSQL: its insert; SQLite: the write lock)
		close(commit)
		if err := <-registered; err != nil {
			t.Fatal(err)
		}
		res := <-sold
		rs := f.partnerReferrals(t)
		if res.Err != nil || len(rs) != 1 || rs[0].ID != "ref_portal" || rs[0].Status != tandem.ReferralCustomer || rs[0].CustomerID != res.Conversion.CustomerID {
			t.Fatalf("sale %+v %v; referrals %+v", res.Conversion, res.Err, rs)
		}
		f.verify(t)
	})
}

// A lead known only by the merchant's customer ID (no email, no referral)
// earns its fee but makes no referral: no later event could find it.
func TestLeadWithoutEmailMakesNoReferral(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newMoneyFixture(t, db, leadRules...)
		lead := f.record(t, tandem.ConversionInput{Kind: tandem.ConversionLeadQualified, EventID: "l1", CustomerID: "c9", ClickID: f.click}).Conversion
		if rs := f.partnerReferrals(t); len(rs) != 0 || lead.ReferralID != "" || len(lead.Commissions) != 1 || lead.PartnerID != f.partner {
			t.Errorf("lead %+v; referrals %+v", lead, rs)
		}
		f.verify(t)
	})
}
