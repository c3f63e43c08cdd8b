package http

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// The partner's payout screens: balances with the next payout and why a
// balance is not payable yet, the payout method (changing it needs a recent
// sign-in), tax status, payout history and statements.

// reauthWindow is how recent a sign-in must be to change the payout method.
const reauthWindow = 15 * time.Minute

func (s *Server) portalPayoutRoutes() {
	s.mux.Handle("GET /portal/payouts", s.requirePartner(s.handlePortalPayouts))
	s.mux.Handle("POST /portal/payouts/method", s.requirePartner(s.handleSetMethod))
	s.mux.Handle("POST /portal/payouts/tax", s.requirePartner(s.handleSaveTax))
	s.mux.Handle("POST /portal/payouts/request", s.requirePartner(s.handleRequestPayout))
	s.mux.Handle("GET /portal/payouts/{id}/statement", s.requirePartner(s.handlePayoutStatement))
	s.mux.Handle("GET /portal/statements/{month}", s.requirePartner(s.handlePeriodStatement))
}

// portalPayoutsPage is what a partner sees of their payouts.
type portalPayoutsPage struct {
	Balances  []*tandem.PartnerBalance
	Method    *tandem.PayoutMethod
	Tax       *tandem.TaxInfo
	Lines     []*tandem.PayoutLine
	Months    []string // statement periods, newest first
	Kinds     []tandem.PayoutMethodKind
	NeedsAuth bool
}

func (s *Server) handlePortalPayouts(w http.ResponseWriter, r *http.Request) {
	s.renderPortalPayouts(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderPortalPayouts(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	ctx := r.Context()
	partner := viewerFrom(ctx).partner
	d := portalPayoutsPage{NeedsAuth: !s.recentlySignedIn(r),
		Kinds: []tandem.PayoutMethodKind{tandem.MethodPayPal, tandem.MethodWise, tandem.MethodStripeConnect, tandem.MethodProductCredit}}
	var err error
	if d.Balances, err = s.services.Payouts.Balances(ctx, partner.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Method, err = s.services.Payouts.Method(ctx, partner.ID); err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		s.Error(w, r, err)
		return
	}
	if d.Tax, err = s.services.Payouts.TaxInfo(ctx, partner.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Lines, err = s.services.Payouts.Lines(ctx, tandem.LineFilter{PartnerID: partner.ID, Limit: 200}); err != nil {
		s.Error(w, r, err)
		return
	}
	month := time.Date(time.Now().Year(), time.Now().Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		m := month.AddDate(0, -i, 0)
		if m.Before(partner.CreatedAt.AddDate(0, -1, 0)) {
			break
		}
		d.Months = append(d.Months, m.Format("2006-01"))
	}
	s.render(w, r, status, "portal_payouts", &page{Title: "Payouts", Area: "portal", Form: f, Flash: fl, Data: d})
}

// recentlySignedIn reports whether the viewer signed in within the
// re-authentication window.
func (s *Server) recentlySignedIn(r *http.Request) bool {
	at := s.sessions.GetInt64(r.Context(), sessAuthAt)
	return at > 0 && time.Since(time.Unix(at, 0)) < reauthWindow
}

// handleSetMethod changes the partner's payout method. A session that
// signed in more than reauthWindow ago must sign in again first, so that a
// stolen session cannot redirect payouts; the change is audited and emailed.
func (s *Server) handleSetMethod(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	rerender := func(status int, f *form, fl *flash) { s.renderPortalPayouts(w, r, status, f, fl) }
	if !s.recentlySignedIn(r) {
		s.formError(w, r, tandem.Invalidf("kind", "For your security, sign in again before changing where you are paid."), rerender)
		return
	}
	kind := tandem.PayoutMethodKind(r.PostFormValue("kind"))
	details := map[string]string{}
	for _, k := range []string{"email", "name", "receiver_type", "currency", "iban", "account_id", "customer_id"} {
		details[k] = r.PostFormValue(k)
	}
	m, err := s.services.Payouts.SetMethod(r.Context(), viewerFrom(r.Context()).partner.ID, kind, details)
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	s.setFlash(r, "Payout method saved: "+m.Display+". We emailed you about the change.")
	http.Redirect(w, r, "/portal/payouts", http.StatusSeeOther)
}

func (s *Server) handleSaveTax(w http.ResponseWriter, r *http.Request) {
	rerender := func(status int, f *form, fl *flash) { s.renderPortalPayouts(w, r, status, f, fl) }
	upload, err := readResourceForm(r)
	if err == nil {
		err = s.services.Payouts.SaveTaxInfo(r.Context(), &tandem.TaxInfo{PartnerID: viewerFrom(r.Context()).partner.ID,
			FormKind: r.PostFormValue("form_kind"), VATID: r.PostFormValue("vat_id")}, upload)
	}
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	s.setFlash(r, "Tax details saved.")
	http.Redirect(w, r, "/portal/payouts", http.StatusSeeOther)
}

func (s *Server) handleRequestPayout(w http.ResponseWriter, r *http.Request) {
	l, err := s.services.Payouts.RequestPayout(r.Context(), r.PostFormValue("program_id"), viewerFrom(r.Context()).partner.ID)
	if err != nil {
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
	} else {
		s.setFlash(r, fmt.Sprintf("Payout of %s requested: finance reviews it with the next batch.", tandem.FormatAmount(l.Amount, l.Currency)))
	}
	http.Redirect(w, r, "/portal/payouts", http.StatusSeeOther)
}

func (s *Server) handlePayoutStatement(w http.ResponseWriter, r *http.Request) {
	st, err := s.services.Payouts.PayoutStatement(r.Context(), viewerFrom(r.Context()).partner.ID, r.PathValue("id"))
	s.sendStatement(w, r, st, err, "statement-"+r.PathValue("id"))
}

func (s *Server) handlePeriodStatement(w http.ResponseWriter, r *http.Request) {
	from, err := time.Parse("2006-01", r.PathValue("month"))
	if err != nil {
		s.Error(w, r, tandem.Errorf(tandem.ENOTFOUND, "No statement for %q.", r.PathValue("month")))
		return
	}
	currency := r.URL.Query().Get("currency")
	if currency == "" {
		currency = "USD"
		if bs, err := s.services.Payouts.Balances(r.Context(), viewerFrom(r.Context()).partner.ID); err == nil && len(bs) > 0 {
			currency = bs[0].Currency
		}
	}
	st, err := s.services.Payouts.PeriodStatement(r.Context(), viewerFrom(r.Context()).partner.ID, currency, from, from.AddDate(0, 1, 0))
	s.sendStatement(w, r, st, err, "statement-"+r.PathValue("month"))
}

// sendStatement answers with the statement as CSV (?format=csv) or as a
// printable page.
func (s *Server) sendStatement(w http.ResponseWriter, r *http.Request, st *tandem.Statement, err error, name string) {
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		data, err := payout.StatementCSV(st)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		sendCSV(w, name+".csv", data)
		return
	}
	s.render(w, r, http.StatusOK, "statement", &page{Title: "Statement " + st.Title, Wide: true, Data: st})
}
