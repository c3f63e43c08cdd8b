package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// What the API answers is what its OpenAPI document says: every operation's
// request and response, and its errors, validate against the document.
func TestAPIResponsesMatchDocument(t *testing.T) {
	t.Parallel()
	db := sqldbtest.Open(t, sqldb.SQLite)
	a := newApp(t, db, "https://partners.example.com")
	_, _, read, write := apiKeys(t, a)
	ctx := context.Background()

	doc, err := openapi3.NewLoader().LoadFromData([]byte(a.client().get("/api/v1/openapi.json").body))
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	check := func(method, path, secret string, body any, status int) apiResult {
		t.Helper()
		res := apiCall(t, a, method, path, secret, body)
		if res.status != status {
			t.Fatalf("%s %s = %d; want %d: %s", method, path, res.status, status, res.body)
		}
		var reqBody []byte
		if body != nil {
			reqBody, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, "https://partners.example.com/api/v1"+path, bytes.NewReader(reqBody))
		req.Header.Set("Authorization", "Bearer "+secret)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s is not in the document: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
		if status < 400 {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				t.Errorf("%s %s: the request does not match the document: %v", method, path, err)
			}
		}
		if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
			Status: res.status, Header: res.header, Body: io.NopCloser(bytes.NewReader([]byte(res.body))), Options: in.Options}); err != nil {
			t.Errorf("%s %s = %d: the response does not match the document: %v\n%s", method, path, res.status, err, res.body)
		}
		return res
	}

	prog := decodeAs[tandemhttp.Program](t, check("POST", "/programs", write, map[string]any{"name": "Acme", "slug": "acme", "type": "referral", "currency": "USD"}, 201), 201)
	recruiting := sqldb.NewRecruitingService(db)
	q := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Size", Kind: tandem.QuestionChoice, Choices: []string{"Small", "Large"}}
	if err := recruiting.AddQuestion(ctx, q); err != nil {
		t.Fatal(err)
	}
	g, _ := recruiting.CreateGroup(ctx, prog.ID, "Gold")
	r := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceBrand, Title: "Logo"}
	if err := sqldb.NewResourceService(db).CreateResource(ctx, r, &tandem.Upload{Name: "logo.png", Data: apiPNG}); err != nil {
		t.Fatal(err)
	}

	check("GET", "/programs?limit=1", read, nil, 200)
	check("GET", "/programs?status=active&type=referral", read, nil, 200)
	check("GET", "/programs/"+prog.ID, read, nil, 200)
	check("PATCH", "/programs/"+prog.ID, write, map[string]any{"headline": "Join us", "allowed_domains": []string{"example.com"}}, 200)
	check("GET", "/programs/"+prog.ID+"/questions", read, nil, 200)
	check("GET", "/programs/"+prog.ID+"/groups?limit=5", read, nil, 200)
	check("GET", "/programs/"+prog.ID+"/resources", read, nil, 200)
	check("GET", "/resources/"+r.ID, read, nil, 200)
	m := decodeAs[tandemhttp.Membership](t, check("POST", "/programs/"+prog.ID+"/applications", write, map[string]any{
		"name": "Jane", "email": "jane@example.com", "kind": "company", "company": "Jane Inc.", "answers": map[string]string{q.ID: "Large"},
	}, 201), 201)
	check("GET", "/memberships?status=pending&program_id="+prog.ID, read, nil, 200)
	check("GET", "/memberships/"+m.ID, read, nil, 200)
	check("POST", "/memberships/"+m.ID+"/review", write, map[string]any{"decision": "approve", "group_id": g.ID}, 200)
	check("GET", "/partners?email=jane@example.com", read, nil, 200)
	check("GET", "/partners/"+m.PartnerID, read, nil, 200)

	// Errors are problems, as documented.
	check("GET", "/programs/"+tandem.NewID(tandem.PrefixProgram), read, nil, 404)
	check("GET", "/programs?cursor=nonsense", read, nil, 400)
	check("POST", "/programs", write, map[string]any{"name": "Acme", "slug": "acme", "type": "referral", "currency": "USD"}, 409)
	check("POST", "/memberships/"+m.ID+"/review", write, map[string]any{"decision": "reject"}, 400)
}
