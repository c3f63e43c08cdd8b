package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

func (s *Server) onboardingRoutes() {
	s.mux.Handle("GET /portal/profile", s.requirePartner(s.handleProfile))
	s.mux.Handle("POST /portal/profile", s.requirePartner(s.handleSaveProfile))
	s.mux.Handle("POST /portal/programs/{id}/steps/{sid}/done", s.requirePartner(s.handleStepDone))
	s.mux.Handle("GET /admin/programs/{id}/onboarding", s.requireUser(tandem.PermView, s.handleAdminOnboarding))
	s.mux.Handle("POST /admin/programs/{id}/onboarding/steps", s.requireUser(tandem.PermManagePrograms, s.handleAddStep))
	s.mux.Handle("POST /admin/programs/{id}/onboarding/steps/{sid}/archive", s.requireUser(tandem.PermManagePrograms, s.handleArchiveStep))
}

// onboarding computes a partner's checklist in a program from what the
// other features know.
func (s *Server) onboarding(ctx context.Context, programID string, partner *tandem.Partner, steps []*tandem.CustomStep) (tandem.Onboarding, error) {
	f := tandem.OnboardingFacts{Partner: partner, CustomSteps: steps}
	var err error
	if f.Agreement, err = s.services.Agreements.AgreementStatus(ctx, programID, partner.ID); err != nil {
		return tandem.Onboarding{}, err
	}
	resources, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{ProgramID: programID, PartnerID: partner.ID})
	if err != nil {
		return tandem.Onboarding{}, err
	}
	read, err := s.services.Resources.ReadResources(ctx, partner.ID, programID)
	if err != nil {
		return tandem.Onboarding{}, err
	}
	for _, r := range resources {
		if r.Required {
			f.RequiredResources++
			if _, ok := read[r.ID]; ok {
				f.ReadRequired++
			}
		}
	}
	if f.CustomDone, err = s.services.Onboarding.CustomStepsDone(ctx, partner.ID, programID); err != nil {
		return tandem.Onboarding{}, err
	}
	links, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{PartnerID: partner.ID, ProgramID: programID, Limit: 1})
	if err != nil {
		return tandem.Onboarding{}, err
	}
	f.LinksAvailable, f.HasLink = true, len(links) > 0
	return tandem.BuildOnboarding(f), nil
}

func (s *Server) handleStepDone(w http.ResponseWriter, r *http.Request) {
	partner := viewerFrom(r.Context()).partner
	if err := s.services.Onboarding.CompleteCustomStep(r.Context(), partner.ID, r.PathValue("id"), r.PathValue("sid")); err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, "Step done. Thank you!")
	http.Redirect(w, r, "/portal/programs/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	p := viewerFrom(r.Context()).partner
	if f == nil {
		f = &form{values: map[string][]string{"name": {p.Name}, "company": {p.Company}, "website": {p.Website},
			"social_links": {strings.Join(p.SocialLinks, "\n")}, "audience": {p.Audience}}, errors: map[string]string{}}
	}
	s.render(w, r, status, "portal_profile", &page{Title: "Your profile", Area: "portal", Form: f, Flash: fl, Data: p})
}

func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	s.renderProfile(w, r, http.StatusOK, nil, nil)
}

func (s *Server) handleSaveProfile(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	partner := viewerFrom(r.Context()).partner
	_, err := s.services.Onboarding.UpdateProfile(r.Context(), partner.ID, tandem.ProfileUpdate{Name: r.PostFormValue("name"),
		Company: r.PostFormValue("company"), Website: r.PostFormValue("website"),
		SocialLinks: strings.Fields(r.PostFormValue("social_links")), Audience: r.PostFormValue("audience")})
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderProfile(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Profile saved.")
	http.Redirect(w, r, "/portal/profile", http.StatusSeeOther)
}

// partnerProgress is one approved partner's checklist, for the program manager.
type partnerProgress struct {
	Partner    *tandem.Partner
	Membership *tandem.Membership
	Onboarding tandem.Onboarding
	Missing    []string
	Stalled    bool
}

func (s *Server) handleAdminOnboarding(w http.ResponseWriter, r *http.Request) {
	s.renderAdminOnboarding(w, r, http.StatusOK, nil, nil)
}

// renderAdminOnboarding lists the program's own steps and every approved
// partner's progress, the stalled ones (unfinished a week after approval) first.
func (s *Server) renderAdminOnboarding(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	ctx := r.Context()
	program, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	steps, err := s.services.Onboarding.FindCustomSteps(ctx, program.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	members, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: program.ID, Status: tandem.MembershipApproved, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var stalled, others []partnerProgress
	for _, m := range members {
		partner, err := s.services.Partners.FindPartnerByID(ctx, m.PartnerID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		o, err := s.onboarding(ctx, program.ID, partner, steps)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		row := partnerProgress{Partner: partner, Membership: m, Onboarding: o,
			Stalled: !o.Complete() && time.Since(m.UpdatedAt) > tandem.StallAfter}
		for _, st := range o.Steps {
			if !st.Done && !st.Later {
				row.Missing = append(row.Missing, st.Title)
			}
		}
		if row.Stalled {
			stalled = append(stalled, row)
		} else {
			others = append(others, row)
		}
	}
	s.render(w, r, status, "admin_onboarding", &page{Title: "Onboarding · " + program.Name, Area: "admin", Form: f, Flash: fl, Data: map[string]any{
		"Program": program, "Steps": steps, "Rows": append(stalled, others...), "Stalled": len(stalled)}})
}

func (s *Server) handleAddStep(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	err := s.services.Onboarding.AddCustomStep(r.Context(), &tandem.CustomStep{ProgramID: r.PathValue("id"),
		Title: r.PostFormValue("title"), Description: r.PostFormValue("description")})
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderAdminOnboarding(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Step added to the checklist.")
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/onboarding", http.StatusSeeOther)
}

func (s *Server) handleArchiveStep(w http.ResponseWriter, r *http.Request) {
	if err := s.services.Onboarding.ArchiveCustomStep(r.Context(), r.PathValue("id"), r.PathValue("sid")); err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, "Step removed from the checklist.")
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/onboarding", http.StatusSeeOther)
}
