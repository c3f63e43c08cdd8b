package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// trackJS is the tracking snippet merchants include on their site.
//
//go:embed static/t.js
var trackJS []byte

// trackJSETag is the snippet's ETag, from its content.
var trackJSETag = func() string {
	sum := sha256.Sum256(trackJS)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// trackPath is the public operation the snippet calls.
const trackPath = "/track/click"

// trackRoutes registers the snippet and the CORS preflight of its call (the
// call itself is an API operation, in apiTrackRoutes). Neither loads a
// session nor checks CSRF: they are cross-origin by design and use no
// cookie of ours.
func (s *Server) trackRoutes() {
	s.mux.HandleFunc("GET /t.js", s.handleTrackJS)
	s.mux.HandleFunc("OPTIONS "+apiPrefix+trackPath, s.handleTrackPreflight)
}

// handleTrackJS serves the snippet at a fixed address (merchants paste it
// once), cached briefly so that fixes reach their pages within the hour.
func (s *Server) handleTrackJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", trackJSETag)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "t.js", time.Time{}, bytes.NewReader(trackJS)) // answers If-None-Match with a 304

}

// handleTrackPreflight answers the browser's CORS preflight of a track
// call. The preflight carries no body, so no ref: it is allowed for an
// origin that some active program allows, and the call itself is then
// checked against the link's own program.
func (s *Server) handleTrackPreflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	ps, err := s.services.Programs.FindPrograms(r.Context(), tandem.ProgramFilter{Status: tandem.ProgramActive, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !slices.ContainsFunc(ps, func(p *tandem.Program) bool { return p.AllowsOrigin(origin) }) {
		s.Error(w, r, tandem.Errorf(tandem.EFORBIDDEN, "This site is not among the program's allowed domains."))
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "7200")
	w.WriteHeader(http.StatusNoContent)
}

// TrackClick is a visit to the merchant's site through a direct link
// (?ref=CODE), as the tracking snippet reports it.
type TrackClick struct {
	Ref      string `json:"ref" maxLength:"64" doc:"The link code from the page's ref parameter." example:"jane"`
	URL      string `json:"url" maxLength:"8000" doc:"The page the visitor landed on (location.href); kept up to 4000 bytes." example:"https://www.example.com/pricing?ref=jane"`
	Referrer string `json:"referrer,omitempty" maxLength:"8000" doc:"The page before it (document.referrer); kept up to 2000 bytes."`
}

type trackClickInput struct {
	Origin     string `header:"Origin" doc:"Set by the browser: the merchant's page must be on one of the program's allowed domains."`
	UserAgent  string `header:"User-Agent"`
	Body       TrackClick
	remoteAddr string
}

// Resolve keeps the client's address, which the visitor key and the flood
// limit need.
func (in *trackClickInput) Resolve(hctx huma.Context) []error {
	in.remoteAddr = hctx.RemoteAddr()
	return nil
}

// TrackedClick is the recorded click and what the snippet needs to keep it.
type TrackedClick struct {
	AllowOrigin string `header:"Access-Control-Allow-Origin" doc:"The request's origin, exactly."`
	Vary        string `header:"Vary"`
	Body        struct {
		ClickID    string   `json:"click_id" doc:"The recorded click, to pass on at sign-up or checkout." example:"clk_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
		CookieDays int      `json:"cookie_days" doc:"The program's cookie window: how long to keep the click ID." example:"30"`
		ClickParam string   `json:"click_param" doc:"The query parameter short links carry the click ID in." example:"tandem_click"`
		RefParams  []string `json:"ref_params" nullable:"false" doc:"The query parameters the program reads a link code from." example:"[\"ref\",\"via\",\"fp_ref\"]"`
	}
}

func (s *Server) apiTrackRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "track-click", Method: http.MethodPost, Path: trackPath, Tags: []string{"Tracking"},
		Summary: "Record a click from a direct link",
		Description: "Called by the tracking snippet (`/t.js`) from the merchant's page when it was opened with `?ref=CODE` " +
			"(or another of the program's ref parameters). Public: no API key. The browser's `Origin` must be on one of the " +
			"program's allowed domains (or a subdomain of one), else 403 and nothing is recorded. Answers once the click is " +
			"committed. A visitor network that records clicks too fast gets 429 with `Retry-After`.",
		Security:     []map[string][]string{}, // public
		MaxBodyBytes: 32 << 10,
		Errors:       []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests},
	}, s.apiTrackClick)
}

func (s *Server) apiTrackClick(ctx context.Context, in *trackClickInput) (*TrackedClick, error) {
	if ok, retry := s.floodAllows("track", in.remoteAddr); !ok {
		return nil, huma.ErrorWithHeaders(s.apiError(ctx, tandem.Errorf(tandem.ETOOMANY, "Too many clicks from your network; try again in %s seconds.", retry)),
			http.Header{"Retry-After": {retry}})
	}
	red, err := s.findLiveLink(ctx, strings.TrimSpace(in.Body.Ref))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	p := red.Program
	if !p.AllowsOrigin(in.Origin) {
		return nil, s.apiError(ctx, tandem.Errorf(tandem.EFORBIDDEN, "This site is not among the program's allowed domains, so the click was not recorded."))
	}
	id := tandem.NewTimeID(tandem.PrefixClick, time.Now())
	if err := s.recordClick(ctx, id, red.LinkID, in.remoteAddr, in.UserAgent, in.Body.Referrer, in.Body.URL); err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &TrackedClick{AllowOrigin: in.Origin, Vary: "Origin"}
	out.Body.ClickID, out.Body.CookieDays, out.Body.ClickParam, out.Body.RefParams = id, p.CookieDays, p.ClickParam, nonNil(p.RefParams)
	return out, nil
}
