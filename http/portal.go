package http

import (
	"net/http"
	"strings"

	"github.com/tandem-prm/tandem"
)

func (s *Server) portalRoutes() {
	s.mux.Handle("GET /portal", s.requirePartner(s.handlePortalHome))
	s.mux.Handle("GET /portal/programs/{id}", s.requirePartner(s.handlePortalProgram))
	s.mux.Handle("GET /portal/account", s.requirePartner(s.handleAccount))
	s.onboardingRoutes()
	s.mux.Handle("POST /portal/account/password", s.requirePartner(s.handleSetPassword))
	s.mux.Handle("GET /p/{slug}", s.ui(s.handlePublicProgram))
}

// membershipView is one of the partner's programs and their place in it.
type membershipView struct {
	Program    *tandem.Program
	Membership *tandem.Membership
}

// partnerMemberships returns the signed-in partner's memberships: every
// portal query is scoped to the viewer's own partner, never to an ID from
// the request.
func (s *Server) partnerMemberships(r *http.Request, programID string) ([]membershipView, error) {
	partner := viewerFrom(r.Context()).partner
	ms, err := s.services.Partners.FindMemberships(r.Context(), tandem.MembershipFilter{PartnerID: partner.ID, ProgramID: programID})
	if err != nil {
		return nil, err
	}
	out := make([]membershipView, 0, len(ms))
	for _, m := range ms {
		p, err := s.services.Programs.FindProgramByID(r.Context(), m.ProgramID)
		if err != nil {
			return nil, err
		}
		out = append(out, membershipView{Program: p, Membership: m})
	}
	return out, nil
}

func (s *Server) handlePortalHome(w http.ResponseWriter, r *http.Request) {
	ms, err := s.partnerMemberships(r, "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal_dashboard", &page{Title: "Home", Area: "portal", Data: map[string]any{
		"Partner": viewerFrom(r.Context()).partner, "Memberships": ms,
	}})
}

// handlePortalProgram shows one of the partner's programs with their
// onboarding checklist. A program the partner is not in does not exist, as
// far as the partner can tell.
func (s *Server) handlePortalProgram(w http.ResponseWriter, r *http.Request) {
	ms, err := s.partnerMemberships(r, r.PathValue("id"))
	if err == nil && len(ms) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m := ms[0]
	data := map[string]any{"Program": m.Program, "Membership": m.Membership}
	if m.Membership.Status == tandem.MembershipApproved {
		steps, err := s.services.Onboarding.FindCustomSteps(r.Context(), m.Program.ID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if data["Onboarding"], err = s.onboarding(r.Context(), m.Program.ID, viewerFrom(r.Context()).partner, steps); err != nil {
			s.Error(w, r, err)
			return
		}
		plan, err := s.services.Plans.PartnerPlan(r.Context(), m.Program.ID, m.Membership.PartnerID)
		if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
			s.Error(w, r, err)
			return
		}
		if plan != nil {
			data["Earn"] = describeRules(plan.Current, m.Program.Currency)
		}
	}
	s.render(w, r, http.StatusOK, "portal_program", &page{Title: m.Program.Name, Area: "portal", Data: data})
}

// publicProgram returns the active program of the page's slug.
func (s *Server) publicProgram(r *http.Request) (*tandem.Program, error) {
	ps, err := s.services.Programs.FindPrograms(r.Context(), tandem.ProgramFilter{Slug: r.PathValue("slug"), Status: tandem.ProgramActive, Limit: 1})
	if err == nil && len(ps) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "There is no program at this address.")
	}
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// handlePublicProgram is a program's public page with its application form.
func (s *Server) handlePublicProgram(w http.ResponseWriter, r *http.Request) {
	p, err := s.publicProgram(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderPublicProgram(w, r, http.StatusOK, p, nil, nil)
}

func (s *Server) renderPublicProgram(w http.ResponseWriter, r *http.Request, status int, p *tandem.Program, f *form, fl *flash) {
	questions, err := s.services.Recruiting.FindQuestions(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var props []string
	for _, line := range strings.Split(p.ValueProps, "\n") {
		if line = strings.TrimSpace(strings.TrimLeft(line, "-*• ")); line != "" {
			props = append(props, line)
		}
	}
	invite, err := s.pageInvitation(r, p)
	switch {
	case tandem.ErrorCode(err) == tandem.EINTERNAL:
		s.Error(w, r, err)
		return
	case err != nil && fl == nil: // the page still takes an application, without the invitation
		status, fl = statusOf[tandem.ErrorCode(err)], &flash{Text: tandem.ErrorMessage(err), Error: true}
	case invite != nil && f == nil:
		f = invite.form()
	}
	s.render(w, r, status, "public_program", &page{Title: p.Name, Wide: true, Form: f, Flash: fl, Data: map[string]any{
		"Program": p, "Questions": questions, "ValueProps": props, "Invite": invite}})
}
