package http_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// An application submitted through the API is reviewed through the API:
// the pending membership carries its answers and flags, and approval puts
// the partner in a group. Every write is the API key's in the audit log.
func TestAPIApplications(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, writeKey, read, write := apiKeys(t, a)
		ctx := context.Background()
		recruiting, audit := sqldb.NewRecruitingService(db), sqldb.NewAuditService(db)
		prog := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramAffiliate, Currency: "USD"}
		if err := a.programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		where := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Where do you post?", Kind: tandem.QuestionText, Required: true}
		size := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Audience size", Kind: tandem.QuestionChoice, Choices: []string{"Under 1k", "1k or more"}}
		for _, q := range []*tandem.ApplicationQuestion{where, size} {
			if err := recruiting.AddQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		gold, err := recruiting.CreateGroup(ctx, prog.ID, "Gold")
		if err != nil {
			t.Fatal(err)
		}
		other := a.partnerIn("other", "someone@example.com")
		otherGroup, _ := recruiting.CreateGroup(ctx, other.ID, "Elsewhere")

		jane := map[string]any{
			"name": "Jane Doe", "email": "Jane.Doe@gmail.com", "website": "https://jane.example.com",
			"social_links": []string{"https://www.youtube.com/@jane"}, "audience": "Home bakers",
			"answers": map[string]string{where.ID: "YouTube", size.ID: "1k or more"},
		}
		res := apiCall(t, a, "POST", "/programs/"+prog.ID+"/applications", write, jane)
		m := decodeAs[tandemhttp.Membership](t, res, http.StatusCreated)
		if !tandem.HasPrefix(m.ID, tandem.PrefixMembership) || m.ProgramID != prog.ID || m.Status != tandem.MembershipPending || m.GroupID != nil ||
			m.Answers[where.ID] != "YouTube" || m.Answers[size.ID] != "1k or more" || !slices.Equal(m.Flags, []string{tandem.FlagFreeEmail}) ||
			res.header.Get("Location") != "https://partners.example.com/api/v1/memberships/"+m.ID {
			t.Fatalf("application = %+v (Location %q)", m, res.header.Get("Location"))
		}
		for _, c := range []struct {
			name  string
			patch map[string]any
			field string
		}{
			{"no name", map[string]any{"name": nil}, "name"},
			{"bad email", map[string]any{"email": "jane"}, "email"},
			{"bad kind", map[string]any{"kind": "robot"}, "kind"},
			{"bad website", map[string]any{"website": "jane.example.com"}, "website"},
			{"missing answer", map[string]any{"answers": map[string]string{size.ID: "Under 1k"}}, "answer_" + where.ID},
			{"wrong choice", map[string]any{"answers": map[string]string{where.ID: "Blog", size.ID: "Huge"}}, "answer_" + size.ID},
			{"unknown question", map[string]any{"answers": map[string]string{where.ID: "Blog", "apq_nope": "x"}}, "answer_apq_nope"},
		} {
			body := map[string]any{"name": "Joe", "email": "joe@example.com", "answers": map[string]string{where.ID: "Blog"}}
			for k, v := range c.patch {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			wantProblem(t, c.name, apiCall(t, a, "POST", "/programs/"+prog.ID+"/applications", write, body), http.StatusBadRequest, c.field)
		}
		wantProblem(t, "applying twice", apiCall(t, a, "POST", "/programs/"+prog.ID+"/applications", write, jane), http.StatusConflict, "email")

		// The application is a pending membership of a new partner.
		pending := decodeAs[tandemhttp.Page[tandemhttp.Membership]](t, apiCall(t, a, "GET", "/memberships?status=pending&program_id="+prog.ID, read, nil), http.StatusOK)
		if len(pending.Data) != 1 || pending.Data[0].ID != m.ID || pending.HasMore {
			t.Fatalf("pending = %+v", pending)
		}
		partners := decodeAs[tandemhttp.Page[tandemhttp.Partner]](t, apiCall(t, a, "GET", "/partners?email=JANE.DOE@gmail.com", read, nil), http.StatusOK)
		if len(partners.Data) != 1 || partners.Data[0].ID != m.PartnerID {
			t.Fatalf("partners by email = %+v", partners)
		}
		p := decodeAs[tandemhttp.Partner](t, apiCall(t, a, "GET", "/partners/"+m.PartnerID, read, nil), http.StatusOK)
		if p.Email != "jane.doe@gmail.com" || p.Type != tandem.TypeAffiliate || p.Kind != tandem.PartnerPerson || p.Source != tandem.SourceApplied ||
			p.Audience != "Home bakers" || !slices.Equal(p.SocialLinks, []string{"https://www.youtube.com/@jane"}) || p.Tags == nil {
			t.Errorf("partner = %+v", p)
		}
		for query, want := range map[string]int{
			"partner_id=" + m.PartnerID:                            1,
			"program_id=" + other.ID:                               1,
			"program_id=" + prog.ID + "&status=approved":           0,
			"partner_id=" + m.PartnerID + "&status=suspended":      0,
			"partner_id=" + m.PartnerID + "&program_id=" + prog.ID: 1,
		} {
			if got := decodeAs[tandemhttp.Page[tandemhttp.Membership]](t, apiCall(t, a, "GET", "/memberships?"+query, read, nil), http.StatusOK); len(got.Data) != want {
				t.Errorf("memberships?%s = %d; want %d", query, len(got.Data), want)
			}
		}

		// Review: bad decisions name their field; approval lands in the group.
		review := "/memberships/" + m.ID + "/review"
		wantProblem(t, "unknown decision", apiCall(t, a, "POST", review, write, map[string]any{"decision": "maybe"}), 400, "decision")
		wantProblem(t, "no decision", apiCall(t, a, "POST", review, write, map[string]any{}), 400, "decision")
		wantProblem(t, "reject without reason", apiCall(t, a, "POST", review, write, map[string]any{"decision": "reject"}), 400, "reason")
		wantProblem(t, "another program's group", apiCall(t, a, "POST", review, write, map[string]any{"decision": "approve", "group_id": otherGroup.ID}), 400, "group_id")
		asked := decodeAs[tandemhttp.Membership](t, apiCall(t, a, "POST", review, write, map[string]any{"decision": "ask", "reason": "Which channel is yours?"}), http.StatusOK)
		if asked.Status != tandem.MembershipPending || asked.Reason != "Which channel is yours?" || !slices.Contains(asked.Flags, "more_info_requested") {
			t.Errorf("asked = %+v", asked)
		}
		approved := decodeAs[tandemhttp.Membership](t, apiCall(t, a, "POST", review, write, map[string]any{"decision": "approve", "group_id": gold.ID}), http.StatusOK)
		if approved.Status != tandem.MembershipApproved || approved.GroupID == nil || *approved.GroupID != gold.ID || approved.Reason != "" {
			t.Errorf("approved = %+v", approved)
		}
		if got := decodeAs[tandemhttp.Membership](t, apiCall(t, a, "GET", "/memberships/"+m.ID, read, nil), http.StatusOK); got.Status != tandem.MembershipApproved || *got.GroupID != gold.ID {
			t.Errorf("GET membership = %+v", got)
		}
		wantProblem(t, "approving twice", apiCall(t, a, "POST", review, write, map[string]any{"decision": "approve"}), 400, "decision")
		if sqldbtest.LastLink(t, db, "jane.doe@gmail.com", "application_approved") == "" {
			t.Error("the approved applicant was not emailed")
		}

		for _, entity := range []string{m.ID, m.PartnerID} {
			entries, _ := audit.FindAuditEntries(ctx, tandem.AuditFilter{EntityID: entity})
			if len(entries) == 0 {
				t.Errorf("nothing audited for %s", entity)
			}
			for _, e := range entries {
				if e.ActorKind != tandem.ActorAPIKey || e.ActorID != writeKey.ID {
					t.Errorf("%s by %s %s; want the API key", e.Action, e.ActorKind, e.ActorID)
				}
			}
		}

		// Unknown IDs are 404 problems.
		for _, c := range []struct {
			method, path string
			body         any
			detail       string
		}{
			{"GET", "/partners/" + tandem.NewID(tandem.PrefixPartner), nil, "Partner not found."},
			{"GET", "/memberships/" + tandem.NewID(tandem.PrefixMembership), nil, "Membership not found."},
			{"POST", "/memberships/" + tandem.NewID(tandem.PrefixMembership) + "/review", map[string]any{"decision": "approve"}, "Application not found."},
		} {
			res := apiCall(t, a, c.method, c.path, write, c.body)
			if res.status != http.StatusNotFound || res.problem.Code != tandem.ENOTFOUND || res.problem.Detail != c.detail {
				t.Errorf("%s %s = %d %+v", c.method, c.path, res.status, res.problem)
			}
		}
	})
}

// A read key may read everything and write nothing: each write is a 403
// problem and changes nothing.
func TestAPIReadKeyCannotWrite(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		prog := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", Headline: "Before"}
		if err := a.programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		m, err := sqldb.NewRecruitingService(db).Apply(ctx, &tandem.Application{ProgramID: prog.ID, Name: "Jane", Email: "jane@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/programs", map[string]any{"name": "Beta", "slug": "beta", "type": "referral", "currency": "USD"}},
			{"PATCH", "/programs/" + prog.ID, map[string]any{"headline": "After"}},
			{"POST", "/programs/" + prog.ID + "/applications", map[string]any{"name": "Joe", "email": "joe@example.com"}},
			{"POST", "/memberships/" + m.ID + "/review", map[string]any{"decision": "approve"}},
		} {
			res := apiCall(t, a, c.method, c.path, read, c.body)
			if res.status != http.StatusForbidden || res.problem.Code != tandem.EFORBIDDEN {
				t.Errorf("read key %s %s = %d %+v", c.method, c.path, res.status, res.problem)
			}
		}
		programs, _ := a.programs.FindPrograms(ctx, tandem.ProgramFilter{})
		memberships, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{})
		if len(programs) != 1 || programs[0].Headline != "Before" || len(memberships) != 1 || memberships[0].Status != tandem.MembershipPending {
			t.Errorf("a refused write changed something: %+v %+v", programs, memberships)
		}
		for _, path := range []string{"/programs", "/programs/" + prog.ID, "/programs/" + prog.ID + "/questions", "/programs/" + prog.ID + "/groups",
			"/programs/" + prog.ID + "/resources", "/partners", "/partners/" + m.PartnerID, "/memberships", "/memberships/" + m.ID} {
			if res := apiCall(t, a, "GET", path, read, nil); res.status != http.StatusOK {
				t.Errorf("read key GET %s = %d", path, res.status)
			}
		}
	})
}
