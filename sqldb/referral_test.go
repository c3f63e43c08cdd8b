package sqldb_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// refFixture is a program with a 30-day protection window, two approved
// partners with portal users (for emails) and a pending one, on a clock
// the test moves.
type refFixture struct {
	program       *tandem.Program
	a, b, pending *tandem.Partner
	referrals     *sqldb.ReferralService
	now           *time.Time
	ctx           context.Context
	t             *testing.T
}

func newRefFixture(t *testing.T, db *sqldb.DB) *refFixture {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &refFixture{now: &now, ctx: context.Background(), t: t, referrals: sqldb.NewReferralService(db)}
	db.Now = func() time.Time { return *f.now }
	f.program = &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "EUR", ProtectionDays: 30}
	if err := sqldb.NewProgramService(db).CreateProgram(f.ctx, f.program); err != nil {
		t.Fatal(err)
	}
	f.a = resMember(t, db, f.program.ID, "a@partner.example", tandem.MembershipApproved, "")
	f.b = resMember(t, db, f.program.ID, "b@partner.example", tandem.MembershipApproved, "")
	f.pending = resMember(t, db, f.program.ID, "p@partner.example", tandem.MembershipPending, "")
	for _, p := range []*tandem.Partner{f.a, f.b} {
		if _, err := sqldb.NewAccountService(db).CreatePartnerUser(f.ctx, p.ID, p.Email, "User of "+p.Email); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *refFixture) create(partnerID, email string) (*tandem.Referral, error) {
	return f.referrals.CreateReferral(f.ctx, tandem.ReferralInput{ProgramID: f.program.ID, PartnerID: partnerID,
		Source: tandem.ReferralFromPartner, Email: email, Name: "Lead " + email, ExpectedValue: 150000})
}

func (f *refFixture) mustCreate(partnerID, email string) *tandem.Referral {
	f.t.Helper()
	r, err := f.create(partnerID, email)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestCreateReferralConflicts(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		first := f.mustCreate(f.a.ID, " Jane@Buyer.example ")
		if first.Status != tandem.ReferralNew || first.Conflict != tandem.ConflictNone || first.Email != "jane@buyer.example" ||
			first.Domain != "buyer.example" || first.Currency != "EUR" || first.ExpectedValue != 150000 ||
			!first.ProtectedUntil.Equal(f.now.AddDate(0, 0, 30)) || !tandem.HasPrefix(first.ID, tandem.PrefixReferral) {
			t.Fatalf("first referral = %+v", first)
		}
		// The same partner again: 409 on the email, nothing written.
		before := resCount(t, db, "referrals")
		if _, err := f.create(f.a.ID, "jane@buyer.example"); tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "email" {
			t.Errorf("same partner twice = %v; want conflict on email", err)
		}
		// Another partner inside the window: a duplicate that names no partner.
		dup := f.mustCreate(f.b.ID, "jane@buyer.example")
		if dup.Status != tandem.ReferralDuplicate || dup.Conflict != tandem.ConflictProtectedByOther || dup.ConflictWithID != first.ID ||
			!strings.Contains(dup.Reason, "already registered by another partner") || strings.Contains(dup.Reason, f.a.Name) {
			t.Errorf("second partner = %+v", dup)
		}
		// Same company, another person: stays new, flagged for the manager.
		colleague := f.mustCreate(f.b.ID, "john@buyer.example")
		if colleague.Status != tandem.ReferralNew || colleague.Conflict != tandem.ConflictPossibleDuplicate || colleague.ConflictWithID != first.ID {
			t.Errorf("same domain = %+v", colleague)
		}
		// Free-mail addresses share no company.
		g1, g2 := f.mustCreate(f.a.ID, "x@gmail.com"), f.mustCreate(f.b.ID, "y@gmail.com")
		if g1.Domain != "" || g2.Conflict != tandem.ConflictNone {
			t.Errorf("free mail: %q %s", g1.Domain, g2.Conflict)
		}
		// An existing customer's email.
		resExec(t, db, `INSERT INTO customers (id, program_id, external_id, email, created_at) VALUES ('cus_1', $1, 'ext-1', 'ceo@client.example', 0)`, f.program.ID)
		cust := f.mustCreate(f.a.ID, "ceo@client.example")
		if cust.Status != tandem.ReferralDuplicate || cust.Conflict != tandem.ConflictExistingCustomer || cust.ConflictWithID != "cus_1" || !strings.Contains(cust.Reason, "already a customer") {
			t.Errorf("existing customer = %+v", cust)
		}
		if got := resCount(t, db, "referrals") - before; got != 5 {
			t.Errorf("%d referrals written; want 5", got)
		}

		// After the window, the email is free again: a later partner wins.
		c := resMember(t, db, f.program.ID, "c@partner.example", tandem.MembershipApproved, "")
		*f.now = first.ProtectedUntil
		if late := f.mustCreate(c.ID, "jane@buyer.example"); late.Status != tandem.ReferralNew || late.Conflict != tandem.ConflictNone {
			t.Errorf("after the window = %s %s", late.Status, late.Conflict)
		}
	})
}

func TestCreateReferralRefusals(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		outsider := &tandem.Partner{Name: "Out", Email: "out@example.com"}
		if err := sqldb.NewPartnerService(db).CreatePartner(f.ctx, outsider); err != nil {
			t.Fatal(err)
		}
		good := tandem.ReferralInput{ProgramID: f.program.ID, PartnerID: f.a.ID, Source: tandem.ReferralFromAPI, Email: "lead@buyer.example"}
		for _, tt := range []struct {
			name  string
			edit  func(*tandem.ReferralInput)
			code  string
			field string
		}{
			{"bad email", func(in *tandem.ReferralInput) { in.Email = "not an email" }, tandem.EINVALID, "email"},
			{"no email", func(in *tandem.ReferralInput) { in.Email = "" }, tandem.EINVALID, "email"},
			{"negative value", func(in *tandem.ReferralInput) { in.ExpectedValue = -1 }, tandem.EINVALID, "expected_value"},
			{"long name", func(in *tandem.ReferralInput) { in.Name = strings.Repeat("n", 201) }, tandem.EINVALID, "name"},
			{"bad source", func(in *tandem.ReferralInput) { in.Source = "fax" }, tandem.EINVALID, "source"},
			{"pending partner", func(in *tandem.ReferralInput) { in.PartnerID = f.pending.ID }, tandem.EFORBIDDEN, "partner_id"},
			{"not a member", func(in *tandem.ReferralInput) { in.PartnerID = outsider.ID }, tandem.ENOTFOUND, "partner_id"},
			{"no program", func(in *tandem.ReferralInput) { in.ProgramID = "prg_nope" }, tandem.ENOTFOUND, ""},
			{"someone else's link", func(in *tandem.ReferralInput) { in.LinkID = "lnk_nope" }, tandem.ENOTFOUND, "link_id"},
		} {
			in := good
			tt.edit(&in)
			_, err := f.referrals.CreateReferral(f.ctx, in)
			if tandem.ErrorCode(err) != tt.code || tandem.ErrorField(err) != tt.field {
				t.Errorf("%s: %v; want %s on %q", tt.name, err, tt.code, tt.field)
			}
		}
		if n := resCount(t, db, "referrals") + resCount(t, db, "referral_events"); n != 0 {
			t.Errorf("%d rows written by refused referrals", n)
		}
		// Only the conversion engine makes referrals from conversions.
		if _, err := f.referrals.CreateReferral(f.ctx, tandem.ReferralInput{ProgramID: f.program.ID, PartnerID: f.a.ID,
			Source: tandem.ReferralFromConversion, Email: "x@buyer.example"}); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "source" {
			t.Errorf("a referral from a conversion by hand: %v", err)
		}
	})
}

// Two partners registering the same email at the same moment: exactly one
// wins, the other is a duplicate, on both databases.
func TestCreateReferralConcurrent(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		const rounds = 8
		for i := range rounds {
			email := "race" + string(rune('a'+i)) + "@buyer.example"
			var wg sync.WaitGroup
			got := make([]*tandem.Referral, 2)
			errs := make([]error, 2)
			for j, p := range []*tandem.Partner{f.a, f.b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[j], errs[j] = f.create(p.ID, email)
				}()
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("round %d: %v, %v", i, errs[0], errs[1])
			}
			statuses := map[tandem.ReferralStatus]int{got[0].Status: 1}
			statuses[got[1].Status]++
			if statuses[tandem.ReferralNew] != 1 || statuses[tandem.ReferralDuplicate] != 1 {
				t.Errorf("round %d: statuses %v; want one new and one duplicate", i, statuses)
			}
		}
	})
}

func TestReferralStatusChanges(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		ctx := tandem.WithActor(f.ctx, tandem.Actor{Kind: tandem.ActorUser, ID: "usr_manager"})
		r := f.mustCreate(f.a.ID, "lead@buyer.example")
		emails := func() int {
			return countRows(t, db, `SELECT COUNT(*) FROM emails WHERE template = 'referral_status' AND to_address = $1`, f.a.Email)
		}
		// Refused: no reason for a rejection, customer by hand, an unknown
		// status, a move the pipeline does not allow. Nothing changes.
		for _, tt := range []struct {
			to     tandem.ReferralStatus
			reason string
			field  string
		}{{tandem.ReferralRejected, "  ", "reason"}, {tandem.ReferralCustomer, "", "status"}, {"won", "", "status"}, {tandem.ReferralNew, "", "status"}} {
			if _, err := f.referrals.ChangeReferralStatus(ctx, r.ID, tt.to, tt.reason); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
				t.Errorf("to %s %q: %v; want invalid %s", tt.to, tt.reason, err, tt.field)
			}
		}
		if _, err := f.referrals.ChangeReferralStatus(ctx, "ref_nope", tandem.ReferralQualified, ""); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("unknown referral: %v", err)
		}
		if emails() != 0 || resCount(t, db, "referral_events") != 1 {
			t.Fatal("a refused change wrote something")
		}
		// new → rejected → new (reopened) → qualified → customer.
		steps := []struct {
			to     tandem.ReferralStatus
			reason string
		}{{tandem.ReferralRejected, "Not our target audience."}, {tandem.ReferralNew, "They grew."}, {tandem.ReferralQualified, ""}}
		for _, st := range steps {
			*f.now = f.now.Add(time.Hour)
			got, err := f.referrals.ChangeReferralStatus(ctx, r.ID, st.to, st.reason)
			if err != nil || got.Status != st.to || got.Reason != st.reason {
				t.Fatalf("to %s: %+v %v", st.to, got, err)
			}
		}
		if _, err := f.referrals.ChangeReferralStatus(ctx, r.ID, tandem.ReferralNew, ""); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("qualified → new: %v", err)
		}
		// A sale naming the referral makes it a customer; its replay changes nothing.
		sale := f.now.Add(-time.Minute)
		conv := sqldb.NewConversionService(db)
		in := tandem.ConversionInput{ProgramID: f.program.ID, Kind: tandem.ConversionSale, EventID: "sale-2", CustomerID: "ext-2",
			ReferralID: r.ID, Amount: 9900, Currency: "EUR", OccurredAt: sale}
		for range 2 {
			if res, err := conv.RecordConversion(f.ctx, in, ""); err != nil || res.Conversion.Attribution != "referral" {
				t.Fatalf("sale: %+v %v", res.Conversion, err)
			}
		}
		won, err := f.referrals.FindReferralByID(f.ctx, r.ID)
		if err != nil || won.Status != tandem.ReferralCustomer || !tandem.HasPrefix(won.CustomerID, tandem.PrefixCustomer) || !won.ConvertedAt.Equal(sale) || won.QualifiedAt.IsZero() {
			t.Fatalf("won = %+v %v", won, err)
		}
		if _, err := f.referrals.ChangeReferralStatus(ctx, r.ID, tandem.ReferralLost, "Gone"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("customer → lost: %v", err)
		}
		events, err := f.referrals.FindReferralEvents(f.ctx, r.ID)
		if err != nil || len(events) != 5 {
			t.Fatalf("events = %d %v", len(events), err)
		}
		want := []string{"→new", "new→rejected", "rejected→new", "new→qualified", "qualified→customer"}
		for i, e := range events {
			if got := string(e.From) + "→" + string(e.To); got != want[i] || e.Seq != i+1 {
				t.Errorf("event %d = %s (seq %d); want %s", i, got, e.Seq, want[i])
			}
		}
		if events[1].Reason != "Not our target audience." || events[1].ActorKind != tandem.ActorUser || events[1].ActorID != "usr_manager" || events[4].ActorKind != tandem.ActorSystem {
			t.Errorf("event details: %+v / %+v", events[1], events[4])
		}
		if n := emails(); n != 4 {
			t.Errorf("%d status emails; want 4 (one per change)", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'referral.status' AND entity_id = $1`, r.ID); n != 4 {
			t.Errorf("%d audit entries; want 4", n)
		}
		counts, err := f.referrals.CountReferrals(f.ctx, tandem.ReferralFilter{ProgramID: f.program.ID})
		if err != nil || counts[tandem.ReferralCustomer] != 1 || len(counts) != 1 {
			t.Errorf("counts = %v %v", counts, err)
		}
	})
}

func TestReferralEmailsOnCreate(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		count := func(template, to string) int {
			return countRows(t, db, `SELECT COUNT(*) FROM emails WHERE template = $1 AND to_address = $2`, template, to)
		}
		f.mustCreate(f.a.ID, "own@buyer.example") // registered by the partner: no email
		if _, err := f.referrals.CreateReferral(f.ctx, tandem.ReferralInput{ProgramID: f.program.ID, PartnerID: f.a.ID,
			Source: tandem.ReferralFromLeadForm, Email: "form@buyer.example"}); err != nil {
			t.Fatal(err)
		}
		f.mustCreate(f.b.ID, "own@buyer.example") // a duplicate: told why
		if a, b := count("referral_new", f.a.Email), count("referral_status", f.b.Email); a != 1 || b != 1 || countRows(t, db, `SELECT COUNT(*) FROM emails`) != 2 {
			t.Errorf("emails: new to A %d, status to B %d", a, b)
		}
	})
}

func TestFindReferralsPages(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newRefFixture(t, db)
		for i := range 5 {
			*f.now = f.now.Add(time.Minute)
			p := f.a
			if i%2 == 1 {
				p = f.b
			}
			f.mustCreate(p.ID, "lead"+string(rune('a'+i))+"@buyer.example")
		}
		page, err := f.referrals.FindReferrals(f.ctx, tandem.ReferralFilter{PartnerID: f.a.ID, Limit: 2})
		if err != nil || len(page) != 2 {
			t.Fatalf("page 1 = %d %v", len(page), err)
		}
		last := page[1]
		rest, err := f.referrals.FindReferrals(f.ctx, tandem.ReferralFilter{PartnerID: f.a.ID, After: afterKey(last), Limit: 10})
		if err != nil || len(rest) != 1 || rest[0].Email != "leade@buyer.example" {
			t.Errorf("page 2 = %v %v", rest, err)
		}
		newest, _ := f.referrals.FindReferrals(f.ctx, tandem.ReferralFilter{Newest: true, Limit: 1})
		if len(newest) != 1 || newest[0].Email != "leade@buyer.example" {
			t.Errorf("newest = %v", newest)
		}
	})
}

func afterKey(r *tandem.Referral) string {
	return strconv.FormatInt(r.CreatedAt.UnixMilli(), 10) + ":" + r.ID
}
