package http

import (
	"encoding/json"
	"fmt"
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

// Error writes err to the client in the form it asked for: a JSON problem
// for the API (and any client that accepts JSON), plain text otherwise.
// Internal errors are logged with the request ID and shown only as
// "Internal error." so their text never reaches users.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code, id := tandem.ErrorCode(err), RequestID(r.Context())
	status := statusOf[code]
	if code == tandem.EINTERNAL {
		s.logger.Error("internal error", "err", err, "request_id", id, "method", r.Method, "path", r.URL.Path)
	}
	p := Problem{
		Type:      "urn:tandem:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    tandem.ErrorMessage(err),
		Instance:  r.URL.Path,
		Code:      code,
		Field:     tandem.ErrorField(err),
		RequestID: id,
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s\n\n%s\n\nRequest ID: %s\n", p.Title, p.Detail, id)
}

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
