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

// redirectRoutes registers the short links. They load no session and need
// no CSRF check: a GET that only records a click.
func (s *Server) redirectRoutes() {
	s.mux.HandleFunc("GET /r/{code}", s.handleRedirect)
}

// handleRedirect answers a short link: a 302 to the link's target with the
// click ID appended (as the program's click parameter), sent only once the
// click is committed. Unknown or archived codes get the friendly 404 page
// and record nothing. A visitor network over its flood limit is still
// redirected, without a click ID and without recording: a person behind a
// flooded NAT must still reach the merchant, and the flood must not reach
// the click tables.
func (s *Server) handleRedirect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, p, err := s.findLiveLink(ctx, r.PathValue("code"))
	if err != nil && ctx.Err() != nil {
		return // the visitor left; nothing to answer
	}
	if code := tandem.ErrorCode(err); code == tandem.ENOTFOUND || code == tandem.EINVALID {
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
	w.Header().Set("Cache-Control", "no-store") // every visit must come back to be counted
	if ok, _ := s.floodAllows("redirect", r.RemoteAddr); !ok {
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	id := tandem.NewTimeID(tandem.PrefixClick, time.Now())
	target = withParam(target, p.ClickParam, id)
	if err := s.recordClick(ctx, id, l, r.RemoteAddr, r.UserAgent(), r.Referer(), target); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return // the visitor left; nothing to answer
		}
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// findLiveLink returns the link a code names and its program, for a click:
// a malformed code is EINVALID on "ref", an unknown or archived link
// ENOTFOUND.
func (s *Server) findLiveLink(ctx context.Context, code string) (*tandem.Link, *tandem.Program, error) {
	if s.services.Clicks == nil || s.services.Links == nil {
		return nil, nil, tandem.Errorf(tandem.EUNAVAILABLE, "Links are not served here.")
	}
	if _, err := tandem.ParseRef(code); err != nil {
		return nil, nil, err
	}
	l, p, err := s.services.Links.FindRedirect(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	if !l.ArchivedAt.IsZero() {
		return nil, nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	return l, p, nil
}

// recordClick records a click with the given ID on the link, from what the
// visitor's request told (address, user agent, referrer) and where the
// visitor landed, and returns once it is committed.
func (s *Server) recordClick(ctx context.Context, id string, l *tandem.Link, remoteAddr, userAgent, referrer, landing string) error {
	ua := clicks.Truncate(userAgent, clicks.MaxUserAgent)
	return s.services.Clicks.Record(ctx, clicks.Click{ID: id, LinkID: l.ID,
		Visitor: s.services.Clicks.VisitorKey(time.Now(), remoteAddr, ua), UserAgent: ua,
		Referrer: clicks.Truncate(referrer, clicks.MaxReferrer), LandingURL: clicks.Truncate(landing, clicks.MaxLanding),
		Bot: s.bots.IsBot(ua)})
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
