package http

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/tandem-prm/tandem"
)

// statusOf maps each domain error code to its HTTP status.
var statusOf = map[string]int{
	tandem.ECONFLICT:       http.StatusConflict,
	tandem.EINTERNAL:       http.StatusInternalServerError,
	tandem.EINVALID:        http.StatusBadRequest,
	tandem.ENOTFOUND:       http.StatusNotFound,
	tandem.EUNAUTHORIZED:   http.StatusUnauthorized,
	tandem.EFORBIDDEN:      http.StatusForbidden,
	tandem.ENOTIMPLEMENTED: http.StatusNotImplemented,
	tandem.EUNAVAILABLE:    http.StatusServiceUnavailable,
	tandem.ETOOMANY:        http.StatusTooManyRequests,
}

// Problem is an RFC 9457 problem body, with Tandem's code, the input field an
// error is about, and the request ID to quote to support.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// GetStatus implements huma.StatusError, so API handlers can return a Problem.
func (p *Problem) GetStatus() int { return p.Status }

func (p *Problem) Error() string { return p.Detail }

// codeOf is statusOf reversed, for errors that arrive as statuses (from huma).
func codeOf(status int) string {
	for code, st := range statusOf {
		if st == status {
			return code
		}
	}
	if status >= 500 {
		return tandem.EINTERNAL
	}
	return tandem.EINVALID
}

// problem turns err into the Problem the client sees. Internal errors are
// logged with the request ID; only "Internal error." reaches the client.
func (s *Server) problem(ctx context.Context, err error, instance string) *Problem {
	code, id := tandem.ErrorCode(err), RequestID(ctx)
	status := statusOf[code]
	if code == tandem.EINTERNAL {
		s.logger.Error("internal error", "err", err, "request_id", id, "path", instance)
	}
	return &Problem{
		Type:      "urn:tandem:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    tandem.ErrorMessage(err),
		Instance:  instance,
		Code:      code,
		Field:     tandem.ErrorField(err),
		RequestID: id,
	}
}

// Error writes err to the client in the form it asked for: a JSON problem
// for the API (and any client that prefers JSON), an HTML page for browsers,
// plain text otherwise. Internal error text never reaches the client.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	p := s.problem(r.Context(), err, r.URL.Path)
	switch {
	case wantsJSON(r):
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
	case strings.Contains(r.Header.Get("Accept"), "text/html") && p.Code != tandem.EINTERNAL:
		s.render(w, r, p.Status, "error", &page{Title: p.Title, Data: p})
	case strings.Contains(r.Header.Get("Accept"), "text/html"):
		// An internal error may come from rendering itself: write a page by hand.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(p.Status)
		fmt.Fprintf(w, internalErrorPage, staticURL("app.css"), template.HTMLEscapeString(p.RequestID))
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(p.Status)
		fmt.Fprintf(w, "%s\n\n%s\n\nRequest ID: %s\n", p.Title, p.Detail, p.RequestID)
	}
}

const internalErrorPage = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Something went wrong · Tandem</title>
<link rel="stylesheet" href="%s"></head><body><main class="narrow"><div class="card">
<h1>Something went wrong</h1><p>We could not finish this request. Please try again in a moment.</p>
<p class="muted">If it keeps happening, quote this request ID: <code>%s</code></p><p><a href="/">Back to the start</a></p>
</div></main></body></html>`

// wantsJSON reports whether the client should get a JSON problem: any API
// path, or a client that prefers JSON to HTML.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "json") && !strings.Contains(accept, "text/html")
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, tandem.Errorf(tandem.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
