package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// linkFixture is a program with a destination and a deep-link domain.
func linkFixture(t *testing.T, db *sqldb.DB) *tandem.Program {
	t.Helper()
	p := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD",
		DestinationURL: "https://www.acme.example/", AllowedDomains: []string{"shop.acme.example"}}
	if err := sqldb.NewProgramService(db).CreateProgram(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateLinkRules(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog := linkFixture(t, db)
		links := sqldb.NewLinkService(db)
		approved := resMember(t, db, prog.ID, "approved@example.com", tandem.MembershipApproved, "")
		pending := resMember(t, db, prog.ID, "pending@example.com", tandem.MembershipPending, "")
		suspended := resMember(t, db, prog.ID, "suspended@example.com", tandem.MembershipSuspended, "")
		outsider := &tandem.Partner{Name: "Out", Email: "out@example.com"}
		if err := sqldb.NewPartnerService(db).CreatePartner(ctx, outsider); err != nil {
			t.Fatal(err)
		}
		in := tandem.LinkInput{Channel: tandem.ChannelNewsletter, UTM: tandem.UTM{Source: "jane"}}

		for _, tt := range []struct {
			partner string
			code    string
		}{{pending.ID, tandem.EFORBIDDEN}, {suspended.ID, tandem.EFORBIDDEN}, {outsider.ID, tandem.ENOTFOUND}, {"prt_nope", tandem.ENOTFOUND}} {
			if _, err := links.CreateLink(ctx, tt.partner, prog.ID, in); tandem.ErrorCode(err) != tt.code {
				t.Errorf("create for %s = %v; want %s", tt.partner, err, tt.code)
			}
			if tt.partner == suspended.ID {
				continue // its default link was made at approval, and stays
			}
			if _, err := links.EnsureDefaultLink(ctx, tt.partner, prog.ID); tandem.ErrorCode(err) != tt.code {
				t.Errorf("default for %s = %v; want %s", tt.partner, err, tt.code)
			}
		}
		// Approval made the approved (and the later suspended) partner's
		// default link; the refused creates wrote nothing.
		if n := resCount(t, db, "links"); n != 2 {
			t.Fatalf("%d links; want the 2 default links of approval", n)
		}
		if d, err := links.EnsureDefaultLink(ctx, suspended.ID, prog.ID); err != nil || !d.IsDefault {
			t.Errorf("suspended partner's default link = %+v, %v; want the one of approval", d, err)
		}

		// No agreement published: an approved partner may create links.
		l, err := links.CreateLink(ctx, approved.ID, prog.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if !tandem.HasPrefix(l.ID, tandem.PrefixLink) || len(l.Code) != tandem.CodeLength || l.PartnerID != approved.ID || l.IsDefault {
			t.Errorf("created %+v", l)
		}
		got, err := links.FindLinkByCode(ctx, l.Code)
		if err != nil || got.ID != l.ID || got.UTM.Source != "jane" || got.Channel != tandem.ChannelNewsletter || !got.CreatedAt.Equal(l.CreatedAt) {
			t.Errorf("FindLinkByCode = %+v, %v", got, err)
		}
		want, err := tandem.TargetURL(prog, l)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := links.FindRedirect(ctx, l.Code); err != nil || r.LinkID != l.ID || r.Archived || r.Target != want || r.ClickParam != prog.ClickParam {
			t.Errorf("FindRedirect = %+v, %v; want target %s", r, err, want)
		}
		if _, err := links.FindRedirect(ctx, "nope-nope"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("FindRedirect of an unknown code: %v", err)
		}
		if entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: l.ID}); len(entries) != 1 || entries[0].Action != "link.create" {
			t.Errorf("audit = %+v", entries)
		}

		// A new agreement takes the right away until it is accepted.
		if _, err := sqldb.NewAgreementService(db).PublishAgreement(ctx, prog.ID, "Terms", "Be nice."); err != nil {
			t.Fatal(err)
		}
		if _, err := links.CreateLink(ctx, approved.ID, prog.ID, in); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("create before accepting = %v; want EFORBIDDEN", err)
		}
		if d, err := links.EnsureDefaultLink(ctx, approved.ID, prog.ID); err != nil || !d.IsDefault {
			t.Errorf("default before accepting = %+v, %v; want the existing one (links made stay)", d, err)
		}
		if n := resCount(t, db, "links"); n != 3 {
			t.Fatalf("%d links; want 3", n)
		}

		// Bad input writes nothing.
		resExec(t, db, `DELETE FROM agreement_versions WHERE program_id = $1`, prog.ID)
		for _, bad := range []tandem.LinkInput{
			{Label: "x", Destination: "https://evil.example/"},
			{Label: "x", Code: "bad code!"},
			{Label: "x", Code: "admin"},
		} {
			if _, err := links.CreateLink(ctx, approved.ID, prog.ID, bad); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("create %+v = %v; want EINVALID", bad, err)
			}
		}
		if n := resCount(t, db, "links"); n != 3 {
			t.Fatalf("%d links after bad input; want 3", n)
		}
	})
}

func TestVanityCodesAndDefaultLink(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog := linkFixture(t, db)
		links := sqldb.NewLinkService(db)
		jane := resMember(t, db, prog.ID, "jane@example.com", tandem.MembershipApproved, "")
		ola := resMember(t, db, prog.ID, "ola@example.com", tandem.MembershipApproved, "")

		l, err := links.CreateLink(ctx, jane.ID, prog.ID, tandem.LinkInput{Label: "Podcast", Code: "Jane-Pod", Destination: "https://shop.acme.example/x"})
		if err != nil || l.Code != "Jane-Pod" {
			t.Fatalf("vanity = %+v, %v", l, err)
		}
		for _, code := range []string{"Jane-Pod", "jane-pod", "JANE-POD"} {
			_, err := links.CreateLink(ctx, ola.ID, prog.ID, tandem.LinkInput{Label: "Mine", Code: code})
			if tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "code" {
				t.Errorf("taken code %q = %v; want ECONFLICT on code", code, err)
			}
		}
		if _, err := links.FindLinkByCode(ctx, "jane-pod"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("lookup by another case = %v; want ENOTFOUND (codes are exact)", err)
		}

		// The default link is made once, however often (and concurrently) it
		// is asked for: here for a partner approved before approval made it.
		resExec(t, db, `DELETE FROM links WHERE partner_id = $1 AND is_default`, jane.ID)
		var wg sync.WaitGroup
		ids := make([]string, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				d, err := links.EnsureDefaultLink(ctx, jane.ID, prog.ID)
				if err == nil {
					ids[i] = d.ID
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("EnsureDefaultLink %d = %s, %v; want %s", i, ids[i], errs[i], ids[0])
			}
		}
		d, _ := links.FindLinkByID(ctx, ids[0])
		if !d.IsDefault || d.Destination != "" || d.Label != "Default" {
			t.Errorf("default link = %+v", d)
		}
		if _, err := links.ArchiveLink(ctx, jane.ID, d.ID); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("archive default = %v; want EINVALID", err)
		}

		// Archiving: only the owner, and archived links leave the list.
		if _, err := links.ArchiveLink(ctx, ola.ID, l.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("archive another's link = %v; want ENOTFOUND", err)
		}
		if a, err := links.ArchiveLink(ctx, jane.ID, l.ID); err != nil || a.ArchivedAt.IsZero() {
			t.Fatalf("archive = %+v, %v", a, err)
		}
		live, _ := links.FindLinks(ctx, tandem.LinkFilter{PartnerID: jane.ID})
		all, _ := links.FindLinks(ctx, tandem.LinkFilter{PartnerID: jane.ID, IncludeArchived: true})
		if len(live) != 1 || len(all) != 2 {
			t.Errorf("live %d, all %d; want 1 and 2", len(live), len(all))
		}
		if got, err := links.FindLinkByCode(ctx, "Jane-Pod"); err != nil || got.ArchivedAt.IsZero() {
			t.Errorf("archived link by code = %+v, %v", got, err)
		}
	})
}

func TestFindLinksPages(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog := linkFixture(t, db)
		links := sqldb.NewLinkService(db)
		jane := resMember(t, db, prog.ID, "jane@example.com", tandem.MembershipApproved, "")
		for i := range 5 {
			if _, err := links.CreateLink(ctx, jane.ID, prog.ID, tandem.LinkInput{Label: fmt.Sprint("L", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		after := ""
		for range 5 {
			page, err := links.FindLinks(ctx, tandem.LinkFilter{ProgramID: prog.ID, After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, l := range page {
				seen = append(seen, l.ID)
			}
			last := page[len(page)-1]
			after = fmt.Sprintf("%d:%s", last.CreatedAt.UnixMilli(), last.ID)
		}
		if len(seen) != 6 {
			t.Errorf("paged through %d links; want 6 (the default link and 5)", len(seen))
		}
		if _, err := links.FindLinks(ctx, tandem.LinkFilter{After: "nonsense"}); tandem.ErrorField(err) != "cursor" {
			t.Errorf("bad cursor = %v", err)
		}
	})
}
