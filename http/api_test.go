package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func apiGet(t *testing.T, a *app, method, path, secret string) (int, tandemhttp.Problem, string) {
	t.Helper()
	c := a.client()
	var header []string
	if secret != "" {
		header = []string{"Authorization", "Bearer " + secret}
	}
	header = append(header, "Accept", "application/json")
	r := c.do(method, path, nil, header...)
	var p tandemhttp.Problem
	_ = json.Unmarshal([]byte(r.body), &p)
	return r.status, p, r.body
}

func TestAPIKeysOnTheAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		ctx := context.Background()
		owner, _ := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
		c := a.client()
		c.signIn(tandem.PrincipalUser, "owner@example.com", "the owners password")
		// Created in the UI, the secret is shown once.
		r := c.post("/admin/api-keys", map[string][]string{"name": {"Checkout"}, "scope": {"read"}})
		i := strings.Index(r.body, `id="new-secret">`)
		if r.status != 201 || i < 0 {
			t.Fatalf("create key = %d", r.status)
		}
		secret := r.body[i+len(`id="new-secret">`):]
		secret = secret[:strings.Index(secret, "<")]
		if later := c.get("/admin/api-keys"); strings.Contains(later.body, secret) || !strings.Contains(later.body, secret[:12]) {
			t.Error("the key list shows the whole secret, or not its prefix")
		}

		status, _, body := apiGet(t, a, "GET", "/api/v1/me", secret)
		var me struct{ ID, Name, Prefix, Scope string }
		if err := json.Unmarshal([]byte(body), &me); status != 200 || err != nil || me.Name != "Checkout" || me.Scope != "read" || !strings.HasPrefix(secret, me.Prefix) {
			t.Fatalf("GET /me = %d %s", status, body)
		}
		if status, p, _ := apiGet(t, a, "GET", "/api/v1/me", ""); status != 401 || p.Code != "unauthorized" || p.RequestID == "" {
			t.Errorf("no key = %d %+v", status, p)
		}
		// A read key may not write, and the refused write changes nothing.
		if status, p, _ := apiGet(t, a, "DELETE", "/api/v1/me", secret); status != 403 || p.Detail != "This API key is read-only." {
			t.Errorf("read key writes = %d %+v", status, p)
		}
		if status, _, _ := apiGet(t, a, "GET", "/api/v1/me", secret); status != 200 {
			t.Errorf("read key after its refused write = %d", status)
		}
		_, writeSecret, _ := a.accounts.CreateAPIKey(ctx, owner.ID, "CRM", tandem.ScopeWrite)
		if status, _, body := apiGet(t, a, "DELETE", "/api/v1/me", writeSecret); status != 204 {
			t.Errorf("write key revokes itself = %d %s", status, body)
		}
		if status, _, _ := apiGet(t, a, "GET", "/api/v1/me", writeSecret); status != 401 {
			t.Errorf("revoked key = %d; want 401", status)
		}
		// Using a key is audited as the key; its use is recorded.
		keys, _ := a.accounts.FindAPIKeys(ctx)
		for _, k := range keys {
			if k.Name == "Checkout" && k.LastUsedAt.IsZero() {
				t.Error("last use of the key not recorded")
			}
		}
	})
}

// The OpenAPI document is valid OpenAPI 3.1 by a real validator, and
// describes the bearer authentication and the operations.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "https://partners.example.com")
	r := a.client().get("/api/v1/openapi.json")
	if r.status != http.StatusOK {
		t.Fatalf("openapi.json = %d", r.status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q; want 3.1", doc.OpenAPI)
	}
	if doc.Paths.Find("/me") == nil || doc.Components.SecuritySchemes["apiKey"] == nil {
		t.Error("the document lacks /me or the apiKey security scheme")
	}
	for path, methods := range map[string][]string{
		"/programs": {"GET", "POST"}, "/programs/{id}": {"GET", "PATCH"}, "/programs/{id}/questions": {"GET"},
		"/programs/{id}/groups": {"GET"}, "/programs/{id}/applications": {"POST"}, "/programs/{id}/resources": {"GET"},
		"/partners": {"GET"}, "/partners/{id}": {"GET"}, "/memberships": {"GET"}, "/memberships/{id}": {"GET"},
		"/memberships/{id}/review": {"POST"}, "/resources/{id}": {"GET"},
	} {
		for _, method := range methods {
			if item := doc.Paths.Find(path); item == nil || item.GetOperation(method) == nil {
				t.Errorf("the document lacks %s %s", method, path)
			}
		}
	}
	if errSchema := doc.Components.Schemas["Problem"]; errSchema == nil || errSchema.Value.Properties["field"] == nil {
		t.Error("the document does not describe errors as problems")
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://partners.example.com/api/v1" {
		t.Errorf("servers = %v", doc.Servers)
	}
}
