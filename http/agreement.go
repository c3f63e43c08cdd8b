package http

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/tandem-prm/tandem"
)

func (s *Server) agreementRoutes() {
	s.mux.Handle("GET /admin/programs/{id}/agreement", s.requireUser(tandem.PermView, s.handleAdminAgreement))
	s.mux.Handle("POST /admin/programs/{id}/agreement", s.requireUser(tandem.PermManagePrograms, s.handlePublishAgreement))
	s.mux.Handle("GET /portal/programs/{id}/agreement", s.requirePartner(s.handlePortalAgreement))
	s.mux.Handle("POST /portal/programs/{id}/agreement", s.requirePartner(s.handleAcceptAgreement))
}

// versionView is an agreement version with its terms rendered.
type versionView struct {
	*tandem.AgreementVersion
	HTML      template.HTML
	Publisher string
	Current   bool
}

func (s *Server) handleAdminAgreement(w http.ResponseWriter, r *http.Request) {
	s.renderAdminAgreement(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderAdminAgreement(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	ctx := r.Context()
	program, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	versions, err := s.services.Agreements.FindAgreementVersions(ctx, program.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	acceptances, err := s.services.Agreements.FindAcceptances(ctx, program.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	approved, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: program.ID, Status: tandem.MembershipApproved, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.actorNames(ctx)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	views := make([]versionView, len(versions))
	for i, v := range versions {
		if views[i].HTML, err = renderMarkdown(v.Body); err != nil {
			s.Error(w, r, err)
			return
		}
		views[i].AgreementVersion, views[i].Publisher, views[i].Current = v, names[v.PublishedBy], i == 0
	}
	data := map[string]any{"Program": program, "Versions": views, "Acceptances": acceptances,
		"Approved": len(approved), "AcceptedCurrent": 0, "Next": 1}
	if len(versions) > 0 {
		current := versions[0]
		data["Current"], data["Next"] = current, current.Version+1
		approvedIDs := map[string]bool{}
		for _, m := range approved {
			approvedIDs[m.PartnerID] = true
		}
		n := 0
		for _, a := range acceptances {
			if a.VersionID == current.ID && approvedIDs[a.PartnerID] {
				n++
			}
		}
		data["AcceptedCurrent"] = n
		if f == nil { // a new version starts from the current text
			f = &form{values: url.Values{"title": {current.Title}, "body": {current.Body}}, errors: map[string]string{}}
		}
	}
	s.render(w, r, status, "admin_agreement", &page{Title: "Agreement · " + program.Name, Area: "admin", Form: f, Flash: fl, Data: data})
}

func (s *Server) handlePublishAgreement(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	v, err := s.services.Agreements.PublishAgreement(r.Context(), r.PathValue("id"), r.PostFormValue("title"), r.PostFormValue("body"))
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderAdminAgreement(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, fmt.Sprintf("Version %d is published. Approved partners were emailed to accept it.", v.Version))
	http.Redirect(w, r, "/admin/programs/"+v.ProgramID+"/agreement", http.StatusSeeOther)
}

func (s *Server) handlePortalAgreement(w http.ResponseWriter, r *http.Request) {
	s.renderPortalAgreement(w, r, http.StatusOK, nil, nil)
}

// portalProgram returns the signed-in partner's membership in the program of
// the path; a program the partner is not in is ENOTFOUND.
func (s *Server) portalProgram(r *http.Request) (membershipView, error) {
	ms, err := s.partnerMemberships(r, r.PathValue("id"))
	if err == nil && len(ms) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
	}
	if err != nil {
		return membershipView{}, err
	}
	return ms[0], nil
}

func (s *Server) renderPortalAgreement(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	m, err := s.portalProgram(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	state, err := s.services.Agreements.AgreementStatus(r.Context(), m.Program.ID, viewerFrom(r.Context()).partner.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var terms template.HTML
	if state.Current != nil {
		if terms, err = renderMarkdown(state.Current.Body); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.render(w, r, status, "portal_agreement", &page{Title: "Terms · " + m.Program.Name, Area: "portal", Form: f, Flash: fl,
		Data: map[string]any{"Program": m.Program, "Membership": m.Membership, "State": state, "HTML": terms}})
}

// handleAcceptAgreement records the partner's acceptance: the box ticked and
// the full name typed, with the request's IP address and User-Agent.
func (s *Server) handleAcceptAgreement(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	m, err := s.portalProgram(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rerender := func(status int, f *form, fl *flash) { s.renderPortalAgreement(w, r, status, f, fl) }
	f := newForm(r)
	if r.PostFormValue("accept") == "" {
		f.errors["accept"] = "Tick the box to confirm that you have read and accept these terms."
	}
	if _, err := tandem.ValidateFullName(r.PostFormValue("full_name")); err != nil {
		f.errors["full_name"] = tandem.ErrorMessage(err)
	}
	if len(f.errors) > 0 {
		rerender(http.StatusBadRequest, f, nil)
		return
	}
	v := viewerFrom(r.Context())
	ctx := tandem.WithUserAgent(r.Context(), r.UserAgent())
	a, err := s.services.Agreements.AcceptAgreement(ctx, v.partnerUser.ID, m.Program.ID, r.PostFormValue("version_id"), r.PostFormValue("full_name"))
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	s.setFlash(r, fmt.Sprintf("Thank you: you accepted version %d of the terms of %s.", a.Version, m.Program.Name))
	http.Redirect(w, r, "/portal/programs/"+m.Program.ID+"/agreement", http.StatusSeeOther)
}

// banner is a standing notice above portal pages, with where to act on it.
type banner struct {
	Text, Link string
}

// agreementBanner is the portal's standing notice of terms the signed-in
// partner has yet to accept in the programs they are approved in, or nil.
func (s *Server) agreementBanner(r *http.Request) *banner {
	partner := viewerFrom(r.Context()).partner
	if partner == nil {
		return nil
	}
	programs, err := s.programsAwaitingAcceptance(r, partner.ID)
	if err != nil {
		// The page is still worth showing without its banner.
		s.logger.Warn("agreement banner", "err", err, "request_id", RequestID(r.Context()))
		return nil
	}
	if len(programs) == 0 {
		return nil
	}
	names := make([]string, len(programs))
	for i, p := range programs {
		names[i] = p.Name
	}
	b := &banner{Link: "/portal/programs/" + programs[0].ID + "/agreement"}
	if len(names) == 1 {
		b.Text = names[0] + " has new terms: please review and accept them."
	} else {
		b.Text = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " have new terms: please review and accept them."
	}
	return b
}

// programsAwaitingAcceptance returns the programs in which the partner is
// approved and has not accepted the current agreement.
func (s *Server) programsAwaitingAcceptance(r *http.Request, partnerID string) ([]*tandem.Program, error) {
	ms, err := s.partnerMemberships(r, "")
	if err != nil {
		return nil, err
	}
	var programs []*tandem.Program
	for _, m := range ms {
		if m.Membership.Status != tandem.MembershipApproved {
			continue
		}
		state, err := s.services.Agreements.AgreementStatus(r.Context(), m.Program.ID, partnerID)
		if err != nil {
			return nil, err
		}
		if state.NeedsAcceptance {
			programs = append(programs, m.Program)
		}
	}
	return programs, nil
}
