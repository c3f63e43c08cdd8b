package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestAPILinks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		clock := newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, write := apiKeys(t, a)
		ctx := context.Background()
		prog := a.partnerIn("acme", "jane@example.com")
		linkProgram(t, a, prog)
		jane := viewerPartnerID(t, a, "jane@example.com")
		// Approval made jane's default link.
		defaults, err := sqldb.NewLinkService(db).FindLinks(ctx, tandem.LinkFilter{PartnerID: jane})
		if err != nil || len(defaults) != 1 || !defaults[0].IsDefault {
			t.Fatalf("links of the approved partner = %d, %v; want the default one", len(defaults), err)
		}
		pending := &tandem.Partner{Name: "Pending", Email: "pending@example.com"}
		if err := a.partners.CreatePartner(ctx, pending); err != nil {
			t.Fatal(err)
		}
		prog.AutoApprove = false
		if err := a.programs.UpdateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		if _, err := a.partners.JoinProgram(ctx, prog.ID, pending.ID); err != nil {
			t.Fatal(err)
		}

		// Create on the partner's behalf.
		res := apiCall(t, a, "POST", "/links", write, map[string]any{"partner_id": jane, "program_id": prog.ID, "channel": "linkedin",
			"destination": "https://shop.acme.example/p/1", "code": "jane-li", "utm": map[string]any{"source": "jane", "medium": "social"}})
		l := decodeAs[tandemhttp.Link](t, res, http.StatusCreated)
		if l.Code != "jane-li" || l.ShortURL != "https://partners.example.com/r/jane-li" || l.Channel != tandem.ChannelLinkedIn ||
			l.UTM.Source != "jane" || l.UTM.Medium != "social" || l.IsDefault || l.ArchivedAt != nil || l.Stats.Clicks != 0 || l.Stats.Referrals != 0 {
			t.Errorf("created %+v", l)
		}
		if loc := res.header.Get("Location"); loc != "https://partners.example.com/api/v1/links/"+l.ID {
			t.Errorf("Location = %q", loc)
		}
		if !strings.Contains(res.body, `"archived_at":null`) {
			t.Errorf("archived_at is not null: %s", res.body)
		}
		got := decodeAs[tandemhttp.Link](t, apiCall(t, a, "GET", "/links/"+l.ID, read, nil), http.StatusOK)
		if got.ID != l.ID || got.Destination != "https://shop.acme.example/p/1" {
			t.Errorf("get = %+v", got)
		}
		wantProblem(t, "unknown link", apiCall(t, a, "GET", "/links/lnk_nope", read, nil), http.StatusNotFound, "")

		// Refusals: each says why, and writes nothing.
		for _, tt := range []struct {
			what   string
			body   map[string]any
			status int
			field  string
		}{
			{"foreign domain", map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x", "destination": "https://evil.example/"}, 400, "destination"},
			{"javascript", map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x", "destination": "javascript:alert(1)"}, 400, "destination"},
			{"odd code", map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x", "code": "a b"}, 400, "code"},
			{"long code", map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x", "code": strings.Repeat("x", 40)}, 400, "code"},
			{"taken code", map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x", "code": "JANE-LI"}, 409, "code"},
			{"bad channel", map[string]any{"partner_id": jane, "program_id": prog.ID, "channel": "myspace"}, 400, "channel"},
			{"custom without label", map[string]any{"partner_id": jane, "program_id": prog.ID}, 400, "label"},
			{"no partner", map[string]any{"program_id": prog.ID, "label": "x"}, 400, "partner_id"},
			{"pending partner", map[string]any{"partner_id": pending.ID, "program_id": prog.ID, "label": "x"}, 403, "partner_id"},
			{"unknown program", map[string]any{"partner_id": jane, "program_id": "prg_nope", "label": "x"}, 404, ""},
		} {
			wantProblem(t, tt.what, apiCall(t, a, "POST", "/links", write, tt.body), tt.status, tt.field)
		}
		// New terms: no links until they are accepted.
		if _, err := sqldb.NewAgreementService(db).PublishAgreement(ctx, prog.ID, "Terms", "Be nice."); err != nil {
			t.Fatal(err)
		}
		res = apiCall(t, a, "POST", "/links", write, map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x"})
		if wantProblem(t, "terms not accepted", res, 403, "partner_id"); !strings.Contains(res.problem.Detail, "agreement") {
			t.Errorf("refusal does not mention the agreement: %s", res.problem.Detail)
		}
		// A read key may not create.
		wantProblem(t, "read key", apiCall(t, a, "POST", "/links", read, map[string]any{"partner_id": jane, "program_id": prog.ID, "label": "x"}), 403, "")
		if n := libCount(t, db, "links"); n != 2 {
			t.Fatalf("%d links after refusals; want 2 (the default one and the created one)", n)
		}

		// Lists: filters and pages.
		libExec(t, db, `DELETE FROM agreement_versions WHERE program_id = $1`, prog.ID)
		keys := []sortKey{{created: defaults[0].CreatedAt, id: defaults[0].ID}, {created: l.CreatedAt, id: l.ID}}
		base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		for i := range 59 {
			clock.tick(base, i)
			res := apiCall(t, a, "POST", "/links", write, map[string]any{"partner_id": jane, "program_id": prog.ID, "channel": "email"})
			nl := decodeAs[tandemhttp.Link](t, res, http.StatusCreated)
			keys = append(keys, sortKey{created: nl.CreatedAt, id: nl.ID})
		}
		checkWalk(t, a, read, "/links?program_id="+prog.ID, keys)
		checkWalk(t, a, read, "/links?partner_id="+jane, keys)
		if ids, _ := walk(t, a, read, "/links?partner_id="+pending.ID, 25); len(ids) != 0 {
			t.Errorf("pending partner has %d links", len(ids))
		}
		wantProblem(t, "bad cursor", apiCall(t, a, "GET", "/links?cursor=bm9wZQ", read, nil), 400, "cursor")

		// Archived links show only when asked for.
		if _, err := sqldb.NewLinkService(db).ArchiveLink(ctx, jane, l.ID); err != nil {
			t.Fatal(err)
		}
		live, _ := walk(t, a, read, "/links?partner_id="+jane, 100)
		all, _ := walk(t, a, read, "/links?partner_id="+jane+"&include_archived=true", 100)
		if len(live) != 60 || len(all) != 61 {
			t.Errorf("live %d, all %d; want 60 and 61", len(live), len(all))
		}
	})
}
