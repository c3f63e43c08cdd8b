package http

import (
	"net/http"

	"github.com/tandem-prm/tandem"
)

// limitLeads is how many leads one client address may send in a window:
// enough for an office behind one address, too few for a spam run.
const limitLeads = 10

func (s *Server) referralRoutes() {
	s.mux.Handle("GET /portal/referrals", s.requirePartner(s.handlePortalReferrals))
	s.mux.Handle("POST /portal/referrals", s.requirePartner(s.handleRegisterDeal))
	s.mux.Handle("GET /portal/referrals/{rid}", s.requirePartner(s.handlePortalReferral))
	s.mux.Handle("GET /p/{slug}/r/{code}", s.ui(s.handleLeadForm))
	s.mux.Handle("POST /p/{slug}/r/{code}", s.ui(s.handleSubmitLead))
	s.adminReferralRoutes()
}

// approvedPrograms returns the programs in which the signed-in partner is
// approved: where they may register deals.
func (s *Server) approvedPrograms(r *http.Request, programID string) ([]*tandem.Program, error) {
	ms, err := s.partnerMemberships(r, programID)
	if err != nil {
		return nil, err
	}
	var out []*tandem.Program
	for _, m := range ms {
		if m.Membership.Status == tandem.MembershipApproved {
			out = append(out, m.Program)
		}
	}
	return out, nil
}

// handlePortalReferrals lists the partner's referrals, newest first, with
// the form to register a deal.
func (s *Server) handlePortalReferrals(w http.ResponseWriter, r *http.Request) {
	s.renderPortalReferrals(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderPortalReferrals(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	ctx := r.Context()
	partner := viewerFrom(ctx).partner
	programs, err := s.approvedPrograms(r, "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	refs, err := s.services.Referrals.FindReferrals(ctx, tandem.ReferralFilter{PartnerID: partner.ID, Newest: true, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.programNames(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "portal_referrals", &page{Title: "Referrals", Area: "portal", Form: f, Flash: fl, Data: map[string]any{
		"Referrals": refs, "Programs": programs, "ProgramNames": names}})
}

// programNames maps every program's ID to its name, for lists.
func (s *Server) programNames(r *http.Request) (map[string]string, error) {
	ps, err := s.services.Programs.FindPrograms(r.Context(), tandem.ProgramFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.ID] = p.Name
	}
	return out, nil
}

// handleRegisterDeal registers a deal for the signed-in partner in one of
// their approved programs.
func (s *Server) handleRegisterDeal(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	rerender := func(status int, f *form, fl *flash) { s.renderPortalReferrals(w, r, status, f, fl) }
	programID := r.PostFormValue("program_id")
	programs, err := s.approvedPrograms(r, programID)
	if err == nil && (programID == "" || len(programs) == 0) {
		err = tandem.Invalidf("program_id", "Choose one of your programs.")
	}
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	value, err := tandem.ParseAmount("expected_value", r.PostFormValue("expected_value"), programs[0].Currency)
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	ref, err := s.services.Referrals.CreateReferral(r.Context(), tandem.ReferralInput{ProgramID: programID,
		PartnerID: viewerFrom(r.Context()).partner.ID, Source: tandem.ReferralFromPartner, Email: r.PostFormValue("email"),
		Name: r.PostFormValue("name"), Company: r.PostFormValue("company"), Notes: r.PostFormValue("notes"), ExpectedValue: value})
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	if ref.Status == tandem.ReferralDuplicate {
		s.setFlash(r, "Registered, but marked duplicate: "+ref.Reason)
	} else {
		s.setFlash(r, "Deal registered. You will be emailed when its status changes.")
	}
	http.Redirect(w, r, "/portal/referrals/"+ref.ID, http.StatusSeeOther)
}

// handlePortalReferral shows one of the partner's referrals with its
// history. Another partner's referral does not exist, as far as the
// partner can tell.
func (s *Server) handlePortalReferral(w http.ResponseWriter, r *http.Request) {
	d, err := s.referralDetail(r, r.PathValue("rid"), viewerFrom(r.Context()).partner.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal_referral", &page{Title: d.Referral.PartnerTitle(), Area: "portal", Data: d})
}

// referralDetail is what a referral's page shows, in the portal and the admin.
type referralDetail struct {
	Referral *tandem.Referral
	Events   []*tandem.ReferralEvent
	Program  *tandem.Program
	// Admin only: the partner and the statuses the referral may move to.
	Partner            *tandem.Partner
	Next               []tandem.ReferralStatus
	ConflictIsReferral bool
}

// referralDetail loads a referral with its history and program. With a
// partner ID, another partner's referral is ENOTFOUND.
func (s *Server) referralDetail(r *http.Request, id, partnerID string) (*referralDetail, error) {
	ctx := r.Context()
	ref, err := s.services.Referrals.FindReferralByID(ctx, id)
	if err == nil && partnerID != "" && ref.PartnerID != partnerID {
		err = tandem.Errorf(tandem.ENOTFOUND, "Referral not found.")
	}
	if err != nil {
		return nil, err
	}
	d := &referralDetail{Referral: ref}
	if d.Events, err = s.services.Referrals.FindReferralEvents(ctx, ref.ID); err != nil {
		return nil, err
	}
	if d.Program, err = s.services.Programs.FindProgramByID(ctx, ref.ProgramID); err != nil {
		return nil, err
	}
	return d, nil
}

// leadLink returns the program of the page and the live link of the code
// in it: the referral page of one partner.
func (s *Server) leadLink(r *http.Request) (*tandem.Program, *tandem.Link, error) {
	program, err := s.publicProgram(r)
	if err != nil {
		return nil, nil, err
	}
	l, err := s.services.Links.FindLinkByCode(r.Context(), r.PathValue("code"))
	if err == nil && (l.ProgramID != program.ID || !l.ArchivedAt.IsZero()) {
		err = tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		err = tandem.Errorf(tandem.ENOTFOUND, "This referral page does not exist or is no longer active. Check the address, or ask whoever shared it for a new one.")
	}
	return program, l, err
}

func (s *Server) renderLeadForm(w http.ResponseWriter, r *http.Request, status int, p *tandem.Program, f *form, fl *flash) {
	s.render(w, r, status, "public_lead", &page{Title: p.Name, Wide: true, Form: f, Flash: fl, Data: map[string]any{
		"Program": p, "Code": r.PathValue("code")}})
}

// handleLeadForm is a partner's referral page: the program and a form for
// the visitor to leave their details.
func (s *Server) handleLeadForm(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.leadLink(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderLeadForm(w, r, http.StatusOK, p, nil, nil)
}

// handleSubmitLead takes a lead from a referral page. A filled honeypot
// field (hidden from people) gets the thank-you page and stores nothing;
// so does a lead the partner already has. A visitor never learns anything
// about the partner's standing.
func (s *Server) handleSubmitLead(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, l, err := s.leadLink(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rerender := func(status int, f *form, fl *flash) { s.renderLeadForm(w, r, status, p, f, fl) }
	if err := s.limit(r, map[string]int{"lead:ip:" + clientNet(r): limitLeads}); err != nil {
		rerender(statusOf[tandem.ErrorCode(err)], newForm(r), &flash{Text: tandem.ErrorMessage(err), Error: true})
		return
	}
	thanks := func() {
		s.render(w, r, http.StatusCreated, "lead_thanks", &page{Title: "Thank you", Wide: true, Data: map[string]any{"Program": p}})
	}
	if r.PostFormValue("website") != "" {
		thanks()
		return
	}
	_, err = s.services.Referrals.CreateReferral(r.Context(), tandem.ReferralInput{ProgramID: p.ID, PartnerID: l.PartnerID, LinkID: l.ID,
		Source: tandem.ReferralFromLeadForm, Email: r.PostFormValue("email"), Name: r.PostFormValue("name"),
		Company: r.PostFormValue("company"), Notes: r.PostFormValue("message")})
	switch code := tandem.ErrorCode(err); {
	case err == nil, code == tandem.ECONFLICT:
		thanks()
	case code == tandem.EFORBIDDEN || code == tandem.ENOTFOUND:
		s.Error(w, r, tandem.Errorf(tandem.ENOTFOUND, "This referral page is not taking requests right now."))
	default:
		if field := tandem.ErrorField(err); field == "notes" {
			err = tandem.Invalidf("message", "%s", tandem.ErrorMessage(err))
		}
		s.formError(w, r, err, rerender)
	}
}
