package http

import (
	"net/http"
	"net/url"

	"github.com/tandem-prm/tandem"
)

func (s *Server) adminReferralRoutes() {
	s.mux.Handle("GET /admin/referrals", s.requireUser(tandem.PermView, s.handleReferralPipeline))
	s.mux.Handle("GET /admin/referrals/{id}", s.requireUser(tandem.PermView, s.handleAdminReferral))
	s.mux.Handle("POST /admin/referrals/{id}/status", s.requireUser(tandem.PermManageReferrals, s.handleReferralStatus))
}

// pipelineStage is one status of the pipeline summary with its count and
// the address of the list filtered to it.
type pipelineStage struct {
	Status  tandem.ReferralStatus
	Count   int
	Path    string
	Current bool
}

// handleReferralPipeline is the referrals of every program, newest first,
// filtered by program, status, partner, source and conflict, under a row
// of counts per status.
func (s *Server) handleReferralPipeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	filter := tandem.ReferralFilter{ProgramID: q.Get("program"), PartnerID: q.Get("partner"), Status: tandem.ReferralStatus(q.Get("status")),
		Source: tandem.ReferralSource(q.Get("source")), Conflict: tandem.ReferralConflict(q.Get("conflict")), Newest: true, Limit: 200}
	counts, err := s.services.Referrals.CountReferrals(ctx, filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	refs, err := s.services.Referrals.FindReferrals(ctx, filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	programs, err := s.services.Programs.FindPrograms(ctx, tandem.ProgramFilter{Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partners, err := s.services.Partners.FindPartners(ctx, tandem.PartnerFilter{Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	programNames, partnerNames := map[string]string{}, map[string]string{}
	for _, p := range programs {
		programNames[p.ID] = p.Name
	}
	for _, p := range partners {
		partnerNames[p.ID] = p.Name
	}
	total, stages := 0, make([]pipelineStage, 0, len(tandem.ReferralStatuses))
	for _, st := range tandem.ReferralStatuses {
		v := url.Values{}
		for k := range q {
			if k != "status" && q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("status", string(st))
		total += counts[st]
		stages = append(stages, pipelineStage{Status: st, Count: counts[st], Path: "/admin/referrals?" + v.Encode(), Current: filter.Status == st})
	}
	s.render(w, r, http.StatusOK, "admin_referrals", &page{Title: "Referrals", Area: "admin", Data: map[string]any{
		"Referrals": refs, "Stages": stages, "Total": total, "Filter": filter, "Filtered": len(q) > 0,
		"Programs": programs, "Partners": partners, "ProgramNames": programNames, "PartnerNames": partnerNames,
		"Statuses": tandem.ReferralStatuses, "Sources": tandem.ReferralSources, "Conflicts": tandem.ReferralConflicts,
	}})
}

func (s *Server) handleAdminReferral(w http.ResponseWriter, r *http.Request) {
	s.renderAdminReferral(w, r, http.StatusOK, nil, nil)
}

// renderAdminReferral shows a referral with its history, its conflict and
// the form that moves it along the pipeline.
func (s *Server) renderAdminReferral(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	d, err := s.referralDetail(r, r.PathValue("id"), "")
	if err == nil {
		d.Partner, err = s.services.Partners.FindPartnerByID(r.Context(), d.Referral.PartnerID)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, st := range d.Referral.Status.Next() {
		if st != tandem.ReferralCustomer { // only a sale makes a customer
			d.Next = append(d.Next, st)
		}
	}
	d.ConflictIsReferral = tandem.HasPrefix(d.Referral.ConflictWithID, tandem.PrefixReferral)
	s.render(w, r, status, "admin_referral", &page{Title: d.Referral.Title(), Area: "admin", Form: f, Flash: fl, Data: d})
}

func (s *Server) handleReferralStatus(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ref, err := s.services.Referrals.ChangeReferralStatus(r.Context(), r.PathValue("id"), tandem.ReferralStatus(r.PostFormValue("status")), r.PostFormValue("reason"))
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderAdminReferral(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "The referral is now "+string(ref.Status)+". The partner has been emailed.")
	http.Redirect(w, r, "/admin/referrals/"+ref.ID, http.StatusSeeOther)
}
