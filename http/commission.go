package http

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/tandem-prm/tandem"
)

// The money screens: a partner's earnings in the portal, and the admin's
// commissions queue and partner ledgers.

func (s *Server) commissionRoutes() {
	s.mux.Handle("GET /portal/earnings", s.requirePartner(s.handlePortalEarnings))
	s.mux.Handle("GET /admin/conversions", s.requireUser(tandem.PermView, s.handleAdminConversions))
	s.mux.Handle("GET /admin/commissions", s.requireUser(tandem.PermView, s.handleAdminCommissions))
	s.mux.Handle("POST /admin/commissions/decide", s.requireUser(tandem.PermManageCommissions, s.handleDecideCommissions))
	s.mux.Handle("GET /admin/partners/{id}/ledger", s.requireUser(tandem.PermView, s.handlePartnerLedger))
}

// earningsPage is what a partner sees of their money.
type earningsPage struct {
	Balances    []tandem.Balance
	Commissions []*tandem.Commission
}

func (s *Server) handlePortalEarnings(w http.ResponseWriter, r *http.Request) {
	partner := viewerFrom(r.Context()).partner
	var d earningsPage
	var err error
	if d.Balances, err = s.services.Ledger.Balances(r.Context(), partner.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Commissions, err = s.services.Commissions.Commissions(r.Context(), tandem.CommissionFilter{PartnerID: partner.ID, Limit: 200}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal_earnings", &page{Title: "Earnings", Area: "portal", Data: d})
}

// conversionsPage lists the events merchants reported.
type conversionsPage struct {
	Kind        tandem.ConversionKind
	Kinds       []tandem.ConversionKind
	Conversions []*tandem.Conversion
	Partners    partnerNameMap
}

func (s *Server) handleAdminConversions(w http.ResponseWriter, r *http.Request) {
	kind := tandem.ConversionKind(r.URL.Query().Get("type"))
	cs, err := s.services.Conversions.Conversions(r.Context(), tandem.ConversionFilter{Kind: kind,
		ProgramID: r.URL.Query().Get("program_id"), PartnerID: r.URL.Query().Get("partner_id"), Limit: 200})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.partnerNames(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := conversionsPage{Kind: kind, Conversions: cs, Partners: names, Kinds: []tandem.ConversionKind{tandem.ConversionLeadQualified,
		tandem.ConversionSale, tandem.ConversionRenewal, tandem.ConversionRefund, tandem.ConversionCancellation}}
	s.render(w, r, http.StatusOK, "admin_conversions", &page{Title: "Conversions", Area: "admin", Data: d})
}

// commissionsPage is the admin's commissions queue.
type commissionsPage struct {
	Status      tandem.CommissionStatus
	Statuses    []tandem.CommissionStatus
	Commissions []*tandem.Commission
	Partners    partnerNameMap
	CanDecide   bool
}

func (s *Server) handleAdminCommissions(w http.ResponseWriter, r *http.Request) {
	status := tandem.CommissionStatus(r.URL.Query().Get("status"))
	ks, err := s.services.Commissions.Commissions(r.Context(), tandem.CommissionFilter{Status: status,
		PartnerID: r.URL.Query().Get("partner_id"), ProgramID: r.URL.Query().Get("program_id"), Limit: 200})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.partnerNames(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := commissionsPage{Status: status, Commissions: ks, Partners: names,
		Statuses: []tandem.CommissionStatus{tandem.CommissionPending, tandem.CommissionApproved, tandem.CommissionPaid,
			tandem.CommissionRejected, tandem.CommissionReversed},
		CanDecide: viewerFrom(r.Context()).user.Role.Can(tandem.PermManageCommissions)}
	s.render(w, r, http.StatusOK, "admin_commissions", &page{Title: "Commissions", Area: "admin", Data: d})
}

// handleDecideCommissions approves or rejects the ticked commissions.
func (s *Server) handleDecideCommissions(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.Error(w, r, tandem.Invalidf("ids", "The form could not be read."))
		return
	}
	back := "/admin/commissions?" + url.Values{"status": {r.PostFormValue("status")}}.Encode()
	ids := r.PostForm["ids"]
	var n int
	var err error
	if r.PostFormValue("action") == "reject" {
		n, err = s.services.Commissions.Reject(r.Context(), ids, r.PostFormValue("reason"))
	} else {
		n, err = s.services.Commissions.Approve(r.Context(), ids)
	}
	if err != nil {
		// Some were skipped (the message says which) or nothing was done.
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
	} else {
		s.setFlash(r, map[bool]string{true: "1 commission updated.", false: fmt.Sprintf("%d commissions updated.", n)}[n == 1])
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// ledgerPage is one partner's ledger.
type ledgerPage struct {
	Partner  *tandem.Partner
	Balances []tandem.Balance
	Postings []*tandem.Posting
}

func (s *Server) handlePartnerLedger(w http.ResponseWriter, r *http.Request) {
	p, err := s.services.Partners.FindPartnerByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := ledgerPage{Partner: p}
	if d.Balances, err = s.services.Ledger.Balances(r.Context(), p.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Postings, err = s.services.Ledger.Postings(r.Context(), p.ID, 200); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_ledger", &page{Title: "Ledger of " + p.Name, Area: "admin", Data: d})
}
