package http

import (
	"context"
	"errors"
	"net/http"
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
//
// It is the server's hottest path: the Location is put together from parts
// worked out once per target (locationCache), not parsed per click.
func (s *Server) handleRedirect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	red, err := s.findLiveLink(ctx, r.PathValue("code"))
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
	if red.Target == "" { // no destination (any more): nowhere to send the visitor
		s.linkNotFound(w, r)
		return
	}
	w.Header()["Cache-Control"] = []string{"no-store"} // every visit must come back to be counted
	if ok, _ := s.floodAllows("redirect", r.RemoteAddr); !ok {
		http.Redirect(w, r, red.Target, http.StatusFound)
		return
	}
	id := tandem.NewTimeID(tandem.PrefixClick, time.Now())
	loc := s.locations.get(red.Target, red.ClickParam)
	if err := s.recordClick(ctx, id, red.LinkID, r.RemoteAddr, r.UserAgent(), r.Referer(), loc.url(id)); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return // the visitor left; nothing to answer
		}
		s.Error(w, r, err)
		return
	}
	loc.redirect(w, r, id)
}

// findLiveLink returns the redirect of the link a code names, for a click:
// a malformed code is EINVALID on "ref", an unknown or archived link
// ENOTFOUND.
func (s *Server) findLiveLink(ctx context.Context, code string) (tandem.Redirect, error) {
	if s.services.Clicks == nil || s.services.Links == nil {
		return tandem.Redirect{}, tandem.Errorf(tandem.EUNAVAILABLE, "Links are not served here.")
	}
	if _, err := tandem.ParseRef(code); err != nil {
		return tandem.Redirect{}, err
	}
	red, err := s.services.Links.FindRedirect(ctx, code)
	if err != nil {
		return tandem.Redirect{}, err
	}
	if red.Archived {
		return tandem.Redirect{}, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	return red, nil
}

// recordClick records a click with the given ID on the link, from what the
// visitor's request told (address, user agent, referrer) and where the
// visitor landed, and returns once it is committed.
func (s *Server) recordClick(ctx context.Context, id, linkID, remoteAddr, userAgent, referrer, landing string) error {
	ua := clicks.Truncate(userAgent, clicks.MaxUserAgent)
	return s.services.Clicks.Record(ctx, clicks.Click{ID: id, LinkID: linkID,
		Visitor: s.services.Clicks.VisitorKey(time.Now(), remoteAddr, ua), UserAgent: ua,
		Referrer: clicks.Truncate(referrer, clicks.MaxReferrer), LandingURL: clicks.Truncate(landing, clicks.MaxLanding),
		Bot: s.bots.IsBot(ua)})
}

// linkNotFound is the friendly page for a code that leads nowhere.
func (s *Server) linkNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, tandem.Errorf(tandem.ENOTFOUND, "This link does not exist or is no longer active. Check the address, or ask whoever shared it for a new one."))
}
