package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/tandem-prm/tandem"
)

func (s *Server) adminRoutes() {
	s.programRoutes()
	s.applicationRoutes()
	s.mux.Handle("GET /admin", s.requireUser(tandem.PermView, s.handleAdminDashboard))
	s.mux.Handle("GET /admin/programs", s.requireUser(tandem.PermView, s.handleAdminPrograms))
	s.mux.Handle("GET /admin/partners", s.requireUser(tandem.PermView, s.handleAdminPartners))
	s.mux.Handle("POST /admin/partners/{id}/tags", s.requireUser(tandem.PermManagePartners, s.handleSetTags))
	s.mux.Handle("GET /admin/team", s.requireUser(tandem.PermView, s.handleTeam))
	s.mux.Handle("POST /admin/team/invite", s.requireUser(tandem.PermManageUsers, s.handleInvite))
	s.mux.Handle("POST /admin/team/{id}/role", s.requireUser(tandem.PermManageUsers, s.handleSetRole))
	s.mux.Handle("POST /admin/team/{id}/status", s.requireUser(tandem.PermManageUsers, s.handleSetStatus))
	s.mux.Handle("GET /admin/api-keys", s.requireUser(tandem.PermManageAPIKeys, s.handleAPIKeys))
	s.mux.Handle("POST /admin/api-keys", s.requireUser(tandem.PermManageAPIKeys, s.handleCreateAPIKey))
	s.mux.Handle("POST /admin/api-keys/{id}/revoke", s.requireUser(tandem.PermManageAPIKeys, s.handleRevokeAPIKey))
	s.mux.Handle("GET /admin/audit", s.requireUser(tandem.PermViewAudit, s.handleAudit))
	s.mux.Handle("GET /admin/account", s.requireUser(tandem.PermView, s.handleAccount))
	s.mux.Handle("POST /admin/account/password", s.requireUser(tandem.PermView, s.handleSetPassword))
}

// directory is every program, partner and membership: what the dashboard
// and the partner list show. (Paginated lists arrive with the programs work.)
type directory struct {
	programs    []*tandem.Program
	partners    []*tandem.Partner
	memberships []*tandem.Membership
}

func (s *Server) loadDirectory(r *http.Request, programs tandem.ProgramFilter) (*directory, error) {
	ctx := r.Context()
	var d directory
	var err error
	if d.programs, err = s.services.Programs.FindPrograms(ctx, programs); err != nil {
		return nil, err
	}
	if d.partners, err = s.services.Partners.FindPartners(ctx, tandem.PartnerFilter{Limit: 1000}); err != nil {
		return nil, err
	}
	if d.memberships, err = s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{Limit: 1000}); err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Server) handleAdminDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadDirectory(r, tandem.ProgramFilter{Status: tandem.ProgramActive})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	byStatus := map[string]int{}
	for _, m := range d.memberships {
		byStatus[string(m.Status)]++
	}
	s.render(w, r, http.StatusOK, "admin_dashboard", &page{Title: "Dashboard", Area: "admin", Data: map[string]any{
		"Programs": len(d.programs), "Partners": len(d.partners), "Memberships": byStatus, "ProgramList": d.programs,
	}})
}

func (s *Server) handleAdminPrograms(w http.ResponseWriter, r *http.Request) {
	programs, err := s.services.Programs.FindPrograms(r.Context(), tandem.ProgramFilter{})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_programs", &page{Title: "Programs", Area: "admin", Data: programs})
}

// partnerRow is a partner with the programs it belongs to.
type partnerRow struct {
	Partner     *tandem.Partner
	Memberships []programStatus
}

// programStatus is a partner's status in one program, by the program's name.
type programStatus struct {
	Program string
	Status  tandem.MembershipStatus
}

func (s *Server) handleAdminPartners(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadDirectory(r, tandem.ProgramFilter{})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names := map[string]string{}
	for _, p := range d.programs {
		names[p.ID] = p.Name
	}
	rows := make([]*partnerRow, len(d.partners))
	byID := map[string]*partnerRow{}
	for i, p := range d.partners {
		rows[i] = &partnerRow{Partner: p}
		byID[p.ID] = rows[i]
	}
	for _, m := range d.memberships {
		if row := byID[m.PartnerID]; row != nil {
			row.Memberships = append(row.Memberships, programStatus{names[m.ProgramID], m.Status})
		}
	}
	s.render(w, r, http.StatusOK, "admin_partners", &page{Title: "Partners", Area: "admin", Data: rows})
}

// handleSetTags replaces a partner's tags, given comma-separated.
func (s *Server) handleSetTags(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.services.Partners.SetPartnerTags(r.Context(), r.PathValue("id"), strings.Split(r.PostFormValue("tags"), ","))
	if tandem.ErrorCode(err) == tandem.EINVALID || tandem.ErrorCode(err) == tandem.ENOTFOUND {
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
	} else if err != nil {
		s.Error(w, r, err)
		return
	} else {
		s.setFlash(r, "Tags of "+p.Name+" saved.")
	}
	http.Redirect(w, r, "/admin/partners", http.StatusSeeOther)
}

func (s *Server) renderTeam(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	users, err := s.services.Accounts.FindUsers(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "admin_team", &page{Title: "Team", Area: "admin", Form: f, Flash: fl, Data: map[string]any{
		"Users": users, "Roles": tandem.Roles,
	}})
}

func (s *Server) handleTeam(w http.ResponseWriter, r *http.Request) {
	s.renderTeam(w, r, http.StatusOK, nil, nil)
}

func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	me := viewerFrom(r.Context()).user
	u, err := s.services.Accounts.InviteUser(r.Context(), me.ID, r.PostFormValue("email"), tandem.Role(r.PostFormValue("role")))
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderTeam(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Invitation sent to "+u.Email+".")
	http.Redirect(w, r, "/admin/team", http.StatusSeeOther)
}

func (s *Server) handleSetRole(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	me := viewerFrom(r.Context()).user
	u, err := s.services.Accounts.SetUserRole(r.Context(), me.ID, r.PathValue("id"), tandem.Role(r.PostFormValue("role")))
	s.afterTeamChange(w, r, err, func() string { return u.Email + " is now " + string(u.Role) + "." })
}

func (s *Server) handleSetStatus(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	me := viewerFrom(r.Context()).user
	u, err := s.services.Accounts.SetUserStatus(r.Context(), me.ID, r.PathValue("id"), tandem.UserStatus(r.PostFormValue("status")))
	s.afterTeamChange(w, r, err, func() string { return u.Email + " is now " + string(u.Status) + "." })
}

func (s *Server) afterTeamChange(w http.ResponseWriter, r *http.Request, err error, done func() string) {
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderTeam(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, done())
	http.Redirect(w, r, "/admin/team", http.StatusSeeOther)
}

// formError shows a refused form again: an error about a field next to the
// field, any other user error at the top, and internal errors as an error page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, rerender func(status int, f *form, fl *flash)) {
	code := tandem.ErrorCode(err)
	if code == tandem.EINTERNAL {
		s.Error(w, r, err)
		return
	}
	f := newForm(r)
	if field := tandem.ErrorField(err); field != "" {
		f.errors[field] = tandem.ErrorMessage(err)
		rerender(statusOf[code], f, nil)
		return
	}
	rerender(statusOf[code], f, &flash{Text: tandem.ErrorMessage(err), Error: true})
}

func (s *Server) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, newSecret string, f *form, fl *flash) {
	keys, err := s.services.Accounts.FindAPIKeys(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "admin_api_keys", &page{Title: "API keys", Area: "admin", Form: f, Flash: fl, Data: map[string]any{
		"Keys": keys, "NewSecret": newSecret,
	}})
}

func (s *Server) handleAPIKeys(w http.ResponseWriter, r *http.Request) {
	s.renderAPIKeys(w, r, http.StatusOK, "", nil, nil)
}

// handleCreateAPIKey shows the new secret on the page it answers with (not
// after a redirect), so it never sits in the session.
func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	me := viewerFrom(r.Context()).user
	_, secret, err := s.services.Accounts.CreateAPIKey(r.Context(), me.ID, r.PostFormValue("name"), tandem.APIScope(r.PostFormValue("scope")))
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderAPIKeys(w, r, status, "", f, fl) })
		return
	}
	s.renderAPIKeys(w, r, http.StatusCreated, secret, nil, &flash{Text: "API key created."})
}

func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := s.services.Accounts.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, "API key revoked.")
	http.Redirect(w, r, "/admin/api-keys", http.StatusSeeOther)
}

// auditPage is how many audit entries one page shows.
const auditPage = 50

// auditRow is an audit entry with its actor named.
type auditRow struct {
	*tandem.AuditEntry
	Actor string
}

// actorNames names the business's users and API keys by ID, for pages that
// show who did something ("" is Tandem itself).
func (s *Server) actorNames(ctx context.Context) (map[string]string, error) {
	users, err := s.services.Accounts.FindUsers(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.services.Accounts.FindAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{"": "Tandem"}
	for _, u := range users {
		names[u.ID] = u.DisplayName()
	}
	for _, k := range keys {
		names[k.ID] = "API key " + k.Name
	}
	return names, nil
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	entries, err := s.services.Audit.FindAuditEntries(ctx, tandem.AuditFilter{Limit: auditPage, Before: r.FormValue("before")})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.actorNames(ctx)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{AuditEntry: e, Actor: names[e.ActorID]}
		if rows[i].Actor == "" {
			rows[i].Actor = string(e.ActorKind) + " " + e.ActorID
		}
	}
	older := ""
	if len(entries) == auditPage {
		older = entries[len(entries)-1].ID
	}
	s.render(w, r, http.StatusOK, "admin_audit", &page{Title: "Audit log", Area: "admin", Data: map[string]any{"Rows": rows, "Older": older}})
}

// handleAccount shows the signed-in account's settings, for users and partners.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	v := viewerFrom(r.Context())
	area, hasPassword := "admin", false
	if v.user != nil {
		hasPassword = v.user.HasPassword
	} else {
		area, hasPassword = "portal", v.partnerUser.HasPassword
	}
	s.render(w, r, status, "account", &page{Title: "Your account", Area: area, Form: f, Flash: fl, Data: map[string]bool{"HasPassword": hasPassword}})
}

// handleSetPassword changes the signed-in account's password; other sessions end.
func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	v := viewerFrom(r.Context())
	p := tandem.Principal{Kind: tandem.PrincipalKind(s.sessions.GetString(r.Context(), sessKind)), ID: s.sessions.GetString(r.Context(), sessID),
		Epoch: s.sessions.GetInt64(r.Context(), sessEpoch)}
	// The current password is a password guess like any other: limit it.
	err := s.limit(r, map[string]int{"signin:ip:" + clientNet(r): limitPerIP, "password:" + string(p.Kind) + ":" + p.ID: limitPerAccount})
	if err == nil {
		p, err = s.services.Accounts.SetPassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("password"))
	}
	if err == nil {
		err = s.signIn(r.Context(), p)
	}
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderAccount(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Password saved. Your other devices are signed out.")
	area := "/admin/account"
	if v.user == nil {
		area = "/portal/account"
	}
	http.Redirect(w, r, area, http.StatusSeeOther)
}
