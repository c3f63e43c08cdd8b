package http

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/tandem-prm/tandem"
)

// Session keys.
const (
	sessKind  = "principal_kind"
	sessID    = "principal_id"
	sessEpoch = "principal_epoch"
	sessFlash = "flash"
	sessError = "flash_error"
	// sessAuthAt is when the principal last proved who they are (Unix
	// seconds): sensitive changes, such as a payout method, need it recent.
	sessAuthAt = "authenticated_at"
)

// newSessionManager returns the manager of the web sessions: server-side,
// in the database when a store is given, expiring after a week, with a
// cookie that is Secure whenever Tandem is served over HTTPS.
func newSessionManager(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	if store != nil {
		sm.Store = store
	}
	sm.Lifetime = 7 * 24 * time.Hour
	sm.Cookie.Name = "tandem_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Persist = true
	return sm
}

// viewer is who is signed in on a UI request: a business user, a partner
// user (with their partner), or nobody.
type viewer struct {
	user        *tandem.User
	partnerUser *tandem.PartnerUser
	partner     *tandem.Partner
}

type viewerKey struct{}

func viewerFrom(ctx context.Context) viewer {
	v, _ := ctx.Value(viewerKey{}).(viewer)
	return v
}

// clientIP is the address the request came from. Tandem does not trust
// X-Forwarded-For: run it behind a proxy that sets the peer address, or
// accept that limits then apply per proxy.
func clientIP(r *http.Request) string { return hostOf(r.RemoteAddr) }

// clientNet is the client's address for rate limits: an IPv6 client counts
// as its /64, the block one subscriber gets, so that rotating addresses
// inside it does not escape the limits.
func clientNet(r *http.Request) string {
	host := clientIP(r)
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		prefix, _ := ip.Prefix(64)
		return prefix.String()
	}
	return host
}

// ui wraps a UI route: cross-origin form posts are refused, the session is
// loaded and saved, and the signed-in viewer (if any) is put in the context
// along with the audit actor.
func (s *Server) ui(h http.HandlerFunc) http.Handler {
	return s.csrf.Handler(s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := tandem.WithActor(r.Context(), tandem.Actor{Kind: tandem.ActorSystem, IP: clientIP(r)})
		v, err := s.loadViewer(ctx)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if v.user != nil {
			ctx = tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorUser, ID: v.user.ID, IP: clientIP(r)})
		} else if v.partnerUser != nil {
			ctx = tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorPartner, ID: v.partnerUser.ID, IP: clientIP(r)})
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		h(w, r.WithContext(context.WithValue(ctx, viewerKey{}, v)))
	})))
}

// loadViewer reads the session's principal and checks it is still valid (the
// account active, its epoch unchanged). An ended session is cleared.
func (s *Server) loadViewer(ctx context.Context) (viewer, error) {
	kind := tandem.PrincipalKind(s.sessions.GetString(ctx, sessKind))
	if kind == "" {
		return viewer{}, nil
	}
	p := tandem.Principal{Kind: kind, ID: s.sessions.GetString(ctx, sessID), Epoch: s.sessions.GetInt64(ctx, sessEpoch)}
	if err := s.services.Accounts.ValidatePrincipal(ctx, p); tandem.ErrorCode(err) == tandem.EUNAUTHORIZED {
		s.clearPrincipal(ctx)
		return viewer{}, nil
	} else if err != nil {
		return viewer{}, err
	}
	var v viewer
	var err error
	if kind == tandem.PrincipalUser {
		v.user, err = s.services.Accounts.FindUserByID(ctx, p.ID)
	} else {
		if v.partnerUser, err = s.services.Accounts.FindPartnerUserByID(ctx, p.ID); err == nil {
			v.partner, err = s.services.Partners.FindPartnerByID(ctx, v.partnerUser.PartnerID)
		}
	}
	return v, err
}

// signIn starts a fresh session (a new token, so a planted one is useless)
// for the principal.
func (s *Server) signIn(ctx context.Context, p tandem.Principal) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessKind, string(p.Kind))
	s.sessions.Put(ctx, sessID, p.ID)
	s.sessions.Put(ctx, sessEpoch, p.Epoch)
	s.sessions.Put(ctx, sessAuthAt, time.Now().Unix())
	return nil
}

func (s *Server) clearPrincipal(ctx context.Context) {
	s.sessions.Remove(ctx, sessKind)
	s.sessions.Remove(ctx, sessID)
	s.sessions.Remove(ctx, sessEpoch)
}

// requireUser lets a signed-in business user with the permission through;
// others are sent to sign in, or refused with 403.
func (s *Server) requireUser(perm tandem.Permission, h http.HandlerFunc) http.Handler {
	return s.ui(func(w http.ResponseWriter, r *http.Request) {
		u := viewerFrom(r.Context()).user
		if u == nil {
			s.toSignIn(w, r, "/login")
			return
		}
		if !u.Role.Can(perm) {
			s.Error(w, r, tandem.Errorf(tandem.EFORBIDDEN, "Your role (%s) does not allow this.", u.Role))
			return
		}
		h(w, r)
	})
}

// requirePartner lets a signed-in partner user through.
func (s *Server) requirePartner(h http.HandlerFunc) http.Handler {
	return s.ui(func(w http.ResponseWriter, r *http.Request) {
		if viewerFrom(r.Context()).partnerUser == nil {
			s.toSignIn(w, r, "/portal/login")
			return
		}
		h(w, r)
	})
}

// toSignIn sends a page request to the sign-in page, remembering where it was
// going; anything else gets 401.
func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request, login string) {
	if r.Method != http.MethodGet {
		s.Error(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "Please sign in."))
		return
	}
	http.Redirect(w, r, login+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, else fallback: a
// sign-in must never redirect to another site.
func safeNext(next, fallback string) string {
	// Browsers drop tabs and newlines from URLs and read \ as /, so
	// "/\t/evil.example" would become "//evil.example": refuse them all.
	unsafe := strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !unsafe {
		return next
	}
	return fallback
}

// setFlash shows a message on the next page.
func (s *Server) setFlash(r *http.Request, text string) { s.sessions.Put(r.Context(), sessFlash, text) }

func (s *Server) popFlash(r *http.Request) *flash {
	if _, ok := r.Context().Value(viewerKey{}).(viewer); !ok {
		return nil // not a UI request: no session loaded
	}
	if text := s.sessions.PopString(r.Context(), sessError); text != "" {
		return &flash{Text: text, Error: true}
	}
	if text := s.sessions.PopString(r.Context(), sessFlash); text != "" {
		return &flash{Text: text}
	}
	return nil
}
