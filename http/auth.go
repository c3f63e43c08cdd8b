package http

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

func (s *Server) authRoutes() {
	s.mux.Handle("GET /{$}", s.ui(s.handleHome))
	for _, kind := range []tandem.PrincipalKind{tandem.PrincipalUser, tandem.PrincipalPartner} {
		base := loginPath(kind)
		s.mux.Handle("GET "+base, s.ui(s.loginPage(kind)))
		s.mux.Handle("POST "+base, s.ui(s.handlePasswordSignIn(kind)))
		s.mux.Handle("POST "+base+"/link", s.ui(s.handleSendSignInLink(kind)))
	}
	s.mux.Handle("GET /signin/{token}", s.ui(s.handleSignInLinkPage))
	s.mux.Handle("POST /signin/{token}", s.ui(s.handleSignInLink))
	s.mux.Handle("POST /logout", s.ui(s.handleSignOut))
	s.mux.Handle("POST /logout/everywhere", s.ui(s.handleSignOutEverywhere))
	s.mux.Handle("GET /password/forgot", s.ui(s.handleForgotPage))
	s.mux.Handle("POST /password/forgot", s.ui(s.handleForgot))
	s.mux.Handle("GET /password/reset/{token}", s.ui(s.setPasswordPage(tandem.LinkPasswordReset)))
	s.mux.Handle("POST /password/reset/{token}", s.ui(s.handleResetPassword))
	s.mux.Handle("GET /invite/{token}", s.ui(s.setPasswordPage(tandem.LinkInvite)))
	s.mux.Handle("POST /invite/{token}", s.ui(s.handleAcceptInvite))
	s.mux.Handle("GET /setup/{token}", s.ui(s.setPasswordPage(tandem.LinkSetup)))
	s.mux.Handle("POST /setup/{token}", s.ui(s.handleSetup))
}

// loginPath is the sign-in page of a kind of account.
func loginPath(kind tandem.PrincipalKind) string {
	if kind == tandem.PrincipalPartner {
		return "/portal/login"
	}
	return "/login"
}

// homePath is where a kind of account lands after signing in.
func homePath(kind tandem.PrincipalKind) string {
	if kind == tandem.PrincipalPartner {
		return "/portal"
	}
	return "/admin"
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	switch {
	case v.user != nil:
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	case v.partnerUser != nil:
		http.Redirect(w, r, "/portal", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// Rate limits of the sign-in forms, per client address and per account.
const (
	limitWindow     = 15 * time.Minute
	limitPerIP      = 30 // attempts of any kind from one address
	limitPerAccount = 10 // password attempts on one account
	limitLinks      = 5  // emailed links to one account
)

// limit records an attempt under each key and refuses it (ETOOMANY) if any
// is over its limit.
func (s *Server) limit(r *http.Request, limits map[string]int) error {
	for key, max := range limits {
		ok, retry, err := s.services.RateLimiter.Allow(r.Context(), key, max, limitWindow)
		if err != nil {
			return err
		}
		if !ok {
			minutes := int(retry.Minutes()) + 1
			return tandem.Errorf(tandem.ETOOMANY, "Too many attempts. Please wait %d minute%s and try again.", minutes, map[bool]string{true: "", false: "s"}[minutes == 1])
		}
	}
	return nil
}

type loginData struct {
	Kind                       tandem.PrincipalKind
	PasswordAction, LinkAction string
	Next                       string
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, kind tandem.PrincipalKind, f *form, fl *flash) {
	s.render(w, r, status, "login", &page{Title: "Sign in", Form: f, Flash: fl, Data: loginData{
		Kind: kind, PasswordAction: loginPath(kind), LinkAction: loginPath(kind) + "/link",
		Next: safeNext(r.FormValue("next"), ""),
	}})
}

func (s *Server) loginPage(kind tandem.PrincipalKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.renderLogin(w, r, http.StatusOK, kind, nil, nil)
	}
}

// handlePasswordSignIn signs in with email and password. A wrong password
// and an unknown email get the same answer.
func (s *Server) handlePasswordSignIn(kind tandem.PrincipalKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := newForm(r)
		email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
		err := s.limit(r, map[string]int{"signin:ip:" + clientNet(r): limitPerIP, "signin:" + string(kind) + ":" + email: limitPerAccount})
		var p tandem.Principal
		if err == nil {
			p, err = s.services.Accounts.SignInWithPassword(r.Context(), kind, email, r.PostFormValue("password"))
		}
		if err == nil {
			err = s.signIn(r.Context(), p)
		}
		switch code := tandem.ErrorCode(err); code {
		case "":
			http.Redirect(w, r, safeNext(r.PostFormValue("next"), homePath(kind)), http.StatusSeeOther)
		case tandem.EUNAUTHORIZED, tandem.ETOOMANY:
			s.renderLogin(w, r, statusOf[code], kind, f, &flash{Text: tandem.ErrorMessage(err), Error: true})
		default:
			s.Error(w, r, err)
		}
	}
}

// handleSendSignInLink emails a magic link. The answer is the same whether
// or not the account exists.
func (s *Server) handleSendSignInLink(kind tandem.PrincipalKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.sendLink(w, r, kind, "a sign-in link", "15 minutes", s.services.Accounts.SendSignInLink)
	}
}

func (s *Server) sendLink(w http.ResponseWriter, r *http.Request, kind tandem.PrincipalKind, what, expiresIn string,
	send func(ctx context.Context, kind tandem.PrincipalKind, email string) error) {
	_ = r.ParseForm()
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	err := s.limit(r, map[string]int{"link:ip:" + clientNet(r): limitPerIP, "link:" + string(kind) + ":" + email: limitLinks})
	if err == nil {
		err = send(r.Context(), kind, email)
	}
	switch code := tandem.ErrorCode(err); code {
	case "":
		s.render(w, r, http.StatusOK, "check_email", &page{Title: "Check your email", Data: map[string]string{
			"Email": email, "What": what, "ExpiresIn": expiresIn, "Back": loginPath(kind)}})
	case tandem.EINVALID, tandem.ETOOMANY:
		f := newForm(r)
		f.errors["email"] = tandem.ErrorMessage(err)
		s.renderLogin(w, r, statusOf[code], kind, f, &flash{Text: tandem.ErrorMessage(err), Error: true})
	default:
		s.Error(w, r, err)
	}
}

// handleSignInLinkPage asks for a click before using a magic link, so that
// mail scanners that fetch links do not use it up.
func (s *Server) handleSignInLinkPage(w http.ResponseWriter, r *http.Request) {
	if err := s.services.Accounts.CheckLink(r.Context(), r.PathValue("token"), tandem.LinkSignIn); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "link_confirm", &page{Title: "Sign in", Data: map[string]string{"Token": r.PathValue("token")}})
}

func (s *Server) handleSignInLink(w http.ResponseWriter, r *http.Request) {
	err := s.limit(r, map[string]int{"token:ip:" + clientNet(r): limitPerIP})
	var p tandem.Principal
	if err == nil {
		p, err = s.services.Accounts.UseSignInLink(r.Context(), r.PathValue("token"))
	}
	if err == nil {
		err = s.signIn(r.Context(), p)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, homePath(p.Kind), http.StatusSeeOther)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	kind := tandem.PrincipalKind(s.sessions.GetString(r.Context(), sessKind))
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, loginPath(kind), http.StatusSeeOther)
}

func (s *Server) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	var p tandem.Principal
	switch {
	case v.user != nil:
		p = tandem.Principal{Kind: tandem.PrincipalUser, ID: v.user.ID}
	case v.partnerUser != nil:
		p = tandem.Principal{Kind: tandem.PrincipalPartner, ID: v.partnerUser.ID}
	default:
		s.Error(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "Please sign in."))
		return
	}
	if err := s.services.Accounts.SignOutEverywhere(r.Context(), p); err != nil {
		s.Error(w, r, err)
		return
	}
	_ = s.sessions.Destroy(r.Context())
	http.Redirect(w, r, loginPath(p.Kind), http.StatusSeeOther)
}

func principalKind(s string) tandem.PrincipalKind {
	if s == string(tandem.PrincipalPartner) {
		return tandem.PrincipalPartner
	}
	return tandem.PrincipalUser
}

func (s *Server) handleForgotPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", &page{Title: "Reset your password", Data: map[string]string{"Kind": string(principalKind(r.FormValue("kind")))}})
}

func (s *Server) handleForgot(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.sendLink(w, r, principalKind(r.PostFormValue("kind")), "a link to reset your password", "1 hour", s.services.Accounts.SendPasswordReset)
}

// passwordPages describes the pages that set a password from a one-time link.
var passwordPages = map[tandem.LinkPurpose]struct {
	title, heading, lead, button, path string
	askName, askEmail                  bool
}{
	tandem.LinkPasswordReset: {"Choose a new password", "Choose a new password", "", "Save and sign in", "/password/reset/", false, false},
	tandem.LinkInvite:        {"Join your team", "Join your team on Tandem", "Tell us your name and choose a password.", "Join", "/invite/", true, false},
	tandem.LinkSetup:         {"Set up Tandem", "Set up Tandem", "Create the first owner account. Owners can invite everyone else.", "Create owner account", "/setup/", true, true},
}

func (s *Server) renderSetPassword(w http.ResponseWriter, r *http.Request, status int, purpose tandem.LinkPurpose, f *form) {
	pp := passwordPages[purpose]
	s.render(w, r, status, "set_password", &page{Title: pp.title, Form: f, Data: map[string]any{
		"Heading": pp.heading, "Lead": pp.lead, "Button": pp.button, "Action": pp.path + r.PathValue("token"),
		"AskName": pp.askName, "AskEmail": pp.askEmail,
	}})
}

func (s *Server) setPasswordPage(purpose tandem.LinkPurpose) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.services.Accounts.CheckLink(r.Context(), r.PathValue("token"), purpose); err != nil {
			s.Error(w, r, err)
			return
		}
		s.renderSetPassword(w, r, http.StatusOK, purpose, nil)
	}
}

// finishSetPassword signs in after a link set a password, or shows the
// form's errors next to their fields.
func (s *Server) finishSetPassword(w http.ResponseWriter, r *http.Request, purpose tandem.LinkPurpose, p tandem.Principal, err error) {
	if err == nil {
		err = s.signIn(r.Context(), p)
	}
	if field := tandem.ErrorField(err); field != "" {
		f := newForm(r)
		f.errors[field] = tandem.ErrorMessage(err)
		s.renderSetPassword(w, r, statusOf[tandem.ErrorCode(err)], purpose, f)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, "Welcome! You are signed in.")
	http.Redirect(w, r, homePath(p.Kind), http.StatusSeeOther)
}

func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.services.Accounts.ResetPassword(r.Context(), r.PathValue("token"), r.PostFormValue("password"))
	s.finishSetPassword(w, r, tandem.LinkPasswordReset, p, err)
}

func (s *Server) handleAcceptInvite(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.accountThenSignIn(r, func() (*tandem.User, error) {
		return s.services.Accounts.AcceptInvite(r.Context(), r.PathValue("token"), r.PostFormValue("name"), r.PostFormValue("password"))
	})
	s.finishSetPassword(w, r, tandem.LinkInvite, p, err)
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.accountThenSignIn(r, func() (*tandem.User, error) {
		return s.services.Accounts.CompleteSetup(r.Context(), r.PathValue("token"), r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("password"))
	})
	s.finishSetPassword(w, r, tandem.LinkSetup, p, err)
}

// accountThenSignIn activates an account and signs it in with the password
// just chosen.
func (s *Server) accountThenSignIn(r *http.Request, activate func() (*tandem.User, error)) (tandem.Principal, error) {
	u, err := activate()
	if err != nil {
		return tandem.Principal{}, err
	}
	p, err := s.services.Accounts.SignInWithPassword(r.Context(), tandem.PrincipalUser, u.Email, r.PostFormValue("password"))
	if err != nil {
		return p, fmt.Errorf("sign in after activation: %w", err)
	}
	return p, nil
}
