package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/danielgtaylor/huma/v2/validation"
	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

// apiPrefix is where the JSON API lives. Its OpenAPI 3.1 document is at
// /api/v1/openapi.json, generated from the Go types of the operations, so it
// cannot drift from the code.
const apiPrefix = "/api/v1"

type apiKeyKey struct{}

func (s *Server) apiRoutes() {
	config := huma.DefaultConfig("Tandem API", tandem.Version)
	config.Info.Description = "The API of Tandem, the partner relationship management platform. " +
		"Authenticate with an API key from Admin → API keys: `Authorization: Bearer tdk_…`. " +
		"Read keys may only GET. Errors are RFC 9457 problems with a `code`, the `field` at fault and a `request_id`."
	config.OpenAPIPath = "/openapi"
	config.DocsPath = "" // the docs page would load scripts from a CDN
	config.SchemasPath = "/schemas"
	config.Servers = []*huma.Server{{URL: strings.TrimSuffix(s.baseURL, "/") + apiPrefix}}
	config.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"apiKey": {Type: "http", Scheme: "bearer", Description: "An API key (tdk_…) from Admin → API keys."},
	}
	config.Security = []map[string][]string{{"apiKey": {}}}
	// Rates are decimal strings ("12.5"): exact, never floats.
	config.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[decimal.Decimal](), reflect.TypeFor[string]())
	api := humago.NewWithPrefix(s.mux, apiPrefix, config)
	api.UseMiddleware(s.apiAuth())

	huma.Register(api, huma.Operation{
		OperationID: "get-current-key",
		Method:      http.MethodGet,
		Path:        "/me",
		Summary:     "Describe the API key making the request",
		Tags:        []string{"Authentication"},
	}, s.apiMe)
	huma.Register(api, huma.Operation{
		OperationID:   "revoke-current-key",
		Method:        http.MethodDelete,
		Path:          "/me",
		Summary:       "Revoke the API key making the request",
		Description:   "For rotating keys: a deploy that has its new key revokes the old one with it. Needs a write key.",
		Tags:          []string{"Authentication"},
		DefaultStatus: http.StatusNoContent,
	}, s.apiRevokeMe)
	s.apiProgramRoutes(api)
	s.apiPartnerRoutes(api)
	s.apiResourceRoutes(api)
	s.apiLinkRoutes(api)
	s.apiConversionRoutes(api)
	s.apiMoneyRoutes(api)
	s.apiReferralRoutes(api)
	s.apiTrackRoutes(api)
	s.apiPayoutRoutes(api)
}

// Huma's own errors (bad JSON, failed validation) become the same
// problem documents as every other error. Bad input is 400 throughout.
func init() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		if status == http.StatusUnprocessableEntity {
			status = http.StatusBadRequest
		}
		field := ""
		for _, e := range errs {
			if d, ok := e.(huma.ErrorDetailer); ok {
				detail := d.ErrorDetail()
				location := detail.Location
				// A missing property is reported at its object ("body"): name the property.
				var missing string
				if n, _ := fmt.Sscanf(detail.Message, validation.MsgExpectedRequiredProperty, &missing); n == 1 {
					location += "." + missing
				}
				field = strings.TrimPrefix(strings.TrimPrefix(location, "body."), "query.")
				msg = strings.TrimSuffix(msg, ".") + ": " + detail.Message
				break
			}
		}
		code := codeOf(status)
		id := ""
		if hctx != nil {
			id = RequestID(hctx.Context())
		}
		return &Problem{Type: "urn:tandem:problem:" + code, Title: http.StatusText(status), Status: status,
			Detail: msg, Code: code, Field: field, RequestID: id}
	}
	// The OpenAPI document describes errors with the type NewError returns:
	// make it the Problem too.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errs...)
	}
}

// apiError turns a service error into the problem an API handler returns.
func (s *Server) apiError(ctx context.Context, err error) error {
	return s.problem(ctx, err, "")
}

// apiAuth checks the bearer API key of every operation and its scope: a
// read key may only read. A public operation (one whose security is the
// empty list, as the OpenAPI document shows it) needs no key.
func (s *Server) apiAuth() func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		if op := hctx.Operation(); op.Security != nil && len(op.Security) == 0 {
			next(hctx)
			return
		}
		fail := func(err error) {
			p := s.problem(hctx.Context(), err, "")
			if p.Status == http.StatusUnauthorized {
				hctx.SetHeader("WWW-Authenticate", `Bearer realm="tandem"`)
			}
			hctx.SetHeader("Content-Type", "application/problem+json")
			hctx.SetStatus(p.Status)
			_ = json.NewEncoder(hctx.BodyWriter()).Encode(p)
		}
		secret, ok := strings.CutPrefix(hctx.Header("Authorization"), "Bearer ")
		if !ok {
			fail(tandem.Errorf(tandem.EUNAUTHORIZED, "Send an API key: Authorization: Bearer tdk_…"))
			return
		}
		key, err := s.services.Accounts.AuthenticateAPIKey(hctx.Context(), strings.TrimSpace(secret))
		if err != nil {
			fail(err)
			return
		}
		if key.Scope == tandem.ScopeRead && hctx.Method() != http.MethodGet && hctx.Method() != http.MethodHead {
			fail(tandem.Errorf(tandem.EFORBIDDEN, "This API key is read-only."))
			return
		}
		ctx := context.WithValue(hctx.Context(), apiKeyKey{}, key)
		ctx = tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorAPIKey, ID: key.ID, IP: hostOf(hctx.RemoteAddr())})
		next(huma.WithContext(hctx, ctx))
	}
}

// hostOf drops the port of a remote address.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// CurrentKey is the API key that made a request.
type CurrentKey struct {
	Body struct {
		ID     string          `json:"id" doc:"The key's ID" example:"key_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
		Name   string          `json:"name" doc:"The name given at creation"`
		Prefix string          `json:"prefix" doc:"The first characters of the secret" example:"tdk_Ab3dE6gH"`
		Scope  tandem.APIScope `json:"scope" enum:"read,write" doc:"read: GET only; write: everything"`
	}
}

func (s *Server) apiRevokeMe(ctx context.Context, _ *struct{}) (*struct{}, error) {
	key, ok := ctx.Value(apiKeyKey{}).(*tandem.APIKey)
	if !ok {
		return nil, s.apiError(ctx, tandem.Errorf(tandem.EUNAUTHORIZED, "No API key."))
	}
	if err := s.services.Accounts.RevokeAPIKey(ctx, key.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}

func (s *Server) apiMe(ctx context.Context, _ *struct{}) (*CurrentKey, error) {
	key, ok := ctx.Value(apiKeyKey{}).(*tandem.APIKey)
	if !ok {
		return nil, s.apiError(ctx, tandem.Errorf(tandem.EUNAUTHORIZED, "No API key."))
	}
	out := &CurrentKey{}
	out.Body.ID, out.Body.Name, out.Body.Prefix, out.Body.Scope = key.ID, key.Name, key.Prefix, key.Scope
	return out, nil
}
