package http

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
)

// ClickRecorder records clicks on links (clicks.Writer).
type ClickRecorder interface {
	// Record returns once the click is committed.
	Record(ctx context.Context, c clicks.Click) error
	// VisitorKey returns the privacy-preserving key of the visitor.
	VisitorKey(at time.Time, remoteAddr, userAgent string) string
}

// ClickParam is the query parameter that carries the click ID to the
// destination, for the tracking snippet to pick up.
const ClickParam = "tandem_click"

// redirectRoutes registers the short links. They load no session and need
// no CSRF check: a GET that only records a click.
func (s *Server) redirectRoutes() {
	s.mux.HandleFunc("GET /r/{code}", s.handleRedirect)
}

// handleRedirect answers a short link: a 302 to the link's target with the
// click ID appended, sent only once the click is committed. Unknown or
// archived codes get the friendly 404 page and record nothing.
func (s *Server) handleRedirect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.services.Clicks == nil || s.services.Links == nil {
		s.Error(w, r, tandem.Errorf(tandem.EUNAVAILABLE, "Links are not served here."))
		return
	}
	code := r.PathValue("code")
	if _, err := tandem.ParseRef(code); err != nil {
		s.linkNotFound(w, r)
		return
	}
	l, p, err := s.services.Links.FindRedirect(ctx, code)
	if err != nil && ctx.Err() != nil {
		return // the visitor left; nothing to answer
	}
	if tandem.ErrorCode(err) == tandem.ENOTFOUND || err == nil && !l.ArchivedAt.IsZero() {
		s.linkNotFound(w, r)
		return
	} else if err != nil {
		s.Error(w, r, err)
		return
	}
	target, err := tandem.TargetURL(p, l)
	if err != nil { // no destination (any more): nowhere to send the visitor
		s.linkNotFound(w, r)
		return
	}
	id := tandem.NewTimeID(tandem.PrefixClick, time.Now())
	target = withParam(target, ClickParam, id)
	ua := clicks.Truncate(r.UserAgent(), clicks.MaxUserAgent)
	c := clicks.Click{ID: id, LinkID: l.ID, Visitor: s.services.Clicks.VisitorKey(time.Now(), r.RemoteAddr, ua),
		UserAgent: ua, Referrer: clicks.Truncate(r.Referer(), clicks.MaxReferrer), LandingURL: target, Bot: s.bots.IsBot(ua)}
	if err := s.services.Clicks.Record(ctx, c); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return // the visitor left; nothing to answer
		}
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // every visit must come back to be counted
	http.Redirect(w, r, target, http.StatusFound)
}

// linkNotFound is the friendly page for a code that leads nowhere.
func (s *Server) linkNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, tandem.Errorf(tandem.ENOTFOUND, "This link does not exist or is no longer active. Check the address, or ask whoever shared it for a new one."))
}

// withParam appends name=value to the URL's query, keeping the rest as it is.
func withParam(target, name, value string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += url.QueryEscape(name) + "=" + url.QueryEscape(value)
	u.ForceQuery = false
	return u.String()
}
