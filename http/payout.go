package http

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// The finance screens of payouts: payable balances and debts, batch
// history, a batch's review (remove, hold, approve, export, mark paid), a
// program's payout settings, and a CSV export of every line.

func (s *Server) payoutRoutes() {
	s.mux.Handle("GET /admin/payouts", s.requireUser(tandem.PermView, s.handleAdminPayouts))
	s.mux.Handle("GET /admin/payouts/lines.csv", s.requireUser(tandem.PermView, s.handlePayoutLinesCSV))
	s.mux.Handle("GET /admin/payouts/balances.csv", s.requireUser(tandem.PermView, s.handlePayoutBalancesCSV))
	s.mux.Handle("POST /admin/payouts/propose", s.requireUser(tandem.PermManagePayouts, s.handleProposeBatch))
	s.mux.Handle("GET /admin/payouts/{id}", s.requireUser(tandem.PermView, s.handleAdminBatch))
	s.mux.Handle("POST /admin/payouts/{id}/{action}", s.requireUser(tandem.PermManagePayouts, s.handleBatchAction))
	s.mux.Handle("GET /admin/payouts/{id}/export/{method}", s.requireUser(tandem.PermManagePayouts, s.handleExportBatch))
	s.mux.Handle("GET /admin/programs/{id}/payouts", s.requireUser(tandem.PermView, s.handlePayoutSettings))
	s.mux.Handle("POST /admin/programs/{id}/payouts", s.requireUser(tandem.PermManagePayouts, s.handleSavePayoutSettings))
	s.portalPayoutRoutes()
}

// payoutsPage is the finance overview.
type payoutsPage struct {
	Balances []*tandem.PartnerBalance
	Debts    []*tandem.PartnerBalance
	Batches  []*tandem.PayoutBatch
	Programs []*tandem.Program
}

func (s *Server) handleAdminPayouts(w http.ResponseWriter, r *http.Request) {
	var d payoutsPage
	bs, err := s.services.Payouts.Balances(r.Context(), "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	for _, b := range bs {
		if b.Payable < 0 {
			d.Debts = append(d.Debts, b)
		} else {
			d.Balances = append(d.Balances, b)
		}
	}
	if d.Batches, err = s.services.Payouts.Batches(r.Context(), "", 100); err != nil {
		s.Error(w, r, err)
		return
	}
	if d.Programs, err = s.services.Programs.FindPrograms(r.Context(), tandem.ProgramFilter{Limit: 1000}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_payouts", &page{Title: "Payouts", Area: "admin", Data: d})
}

func (s *Server) handleProposeBatch(w http.ResponseWriter, r *http.Request) {
	b, err := s.services.Payouts.Propose(r.Context(), r.PostFormValue("program_id"))
	if err != nil {
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
		http.Redirect(w, r, "/admin/payouts", http.StatusSeeOther)
		return
	}
	s.setFlash(r, fmt.Sprintf("Batch proposed: %d partners, %d skipped.", b.LineCount, len(b.Skipped)))
	http.Redirect(w, r, "/admin/payouts/"+b.ID, http.StatusSeeOther)
}

// batchPage is one batch under review.
type batchPage struct {
	Batch    *tandem.PayoutBatch
	Exports  []tandem.PayoutMethodKind // file methods with lines waiting
	Waiting  int                       // exported lines not yet marked paid
	CanSend  bool
	Currency string
}

func (s *Server) handleAdminBatch(w http.ResponseWriter, r *http.Request) {
	b, err := s.services.Payouts.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := batchPage{Batch: b, CanSend: viewerFrom(r.Context()).user.Role.Can(tandem.PermManagePayouts)}
	seen := map[tandem.PayoutMethodKind]bool{}
	for _, l := range b.Lines {
		if l.Status == tandem.LineSending && (l.MethodKind == tandem.MethodPayPal || l.MethodKind == tandem.MethodWise) {
			d.Waiting++
			if !seen[l.MethodKind] {
				seen[l.MethodKind] = true
				d.Exports = append(d.Exports, l.MethodKind)
			}
		}
	}
	s.render(w, r, http.StatusOK, "admin_payout_batch", &page{Title: "Payout batch", Area: "admin", Data: d})
}

// handleBatchAction applies finance's decision: approve or cancel the
// batch, remove or hold a line, or mark lines paid.
func (s *Server) handleBatchAction(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := r.PathValue("id")
	ctx := r.Context()
	var err error
	done := ""
	switch r.PathValue("action") {
	case "approve":
		_, err = s.services.Payouts.ApproveBatch(ctx, id)
		done = "Batch approved: its lines are being sent."
	case "cancel":
		err = s.services.Payouts.CancelBatch(ctx, id)
		done = "Batch cancelled: its commissions return to the next batch."
	case "remove":
		err = s.services.Payouts.RemoveLine(ctx, r.PostFormValue("line_id"))
		done = "Line removed: its commissions return to the next batch."
	case "hold":
		err = s.services.Payouts.HoldLine(ctx, r.PostFormValue("line_id"), r.PostFormValue("reason"))
		done = "Line held: its commissions wait until you release them."
	case "paid":
		var n int
		n, err = s.services.Payouts.MarkPaid(ctx, id, r.PostForm["line_id"], r.PostFormValue("reference"))
		done = fmt.Sprintf("%d lines marked paid.", n)
	default:
		s.handleNotFound(w, r)
		return
	}
	if err != nil {
		s.sessions.Put(ctx, sessError, tandem.ErrorMessage(err))
	} else {
		s.setFlash(r, done)
	}
	http.Redirect(w, r, "/admin/payouts/"+id, http.StatusSeeOther)
}

func (s *Server) handleExportBatch(w http.ResponseWriter, r *http.Request) {
	data, name, err := s.exportBatch(r.Context(), r.PathValue("id"), tandem.PayoutMethodKind(r.PathValue("method")))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sendCSV(w, name, data)
}

// sendCSV answers with a CSV download.
func sendCSV(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(data)
}

// handlePayoutLinesCSV exports every payout line, for finance's books.
func (s *Server) handlePayoutLinesCSV(w http.ResponseWriter, r *http.Request) {
	ls, err := s.services.Payouts.Lines(r.Context(), tandem.LineFilter{Limit: 1 << 30})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	c := csv.NewWriter(&buf)
	_ = c.Write([]string{"payout_id", "batch_id", "program_id", "partner_id", "partner", "method", "amount", "currency", "status",
		"reference", "failure_reason", "created_at", "paid_at"})
	for _, l := range ls {
		paid := ""
		if !l.PaidAt.IsZero() {
			paid = l.PaidAt.Format(time.RFC3339)
		}
		_ = c.Write([]string{l.ID, l.BatchID, l.ProgramID, l.PartnerID, l.PartnerName, string(l.MethodKind),
			tandem.FormatDecimal(l.Amount, l.Currency), l.Currency, string(l.Status), l.ExternalRef, l.FailureReason,
			l.CreatedAt.Format(time.RFC3339), paid})
	}
	c.Flush()
	sendCSV(w, "payouts.csv", buf.Bytes())
}

// handlePayoutBalancesCSV exports every partner's payable balance per
// currency (negative ones are debts) and what open payouts hold.
func (s *Server) handlePayoutBalancesCSV(w http.ResponseWriter, r *http.Request) {
	bs, err := s.services.Payouts.Balances(r.Context(), "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	c := csv.NewWriter(&buf)
	_ = c.Write([]string{"partner_id", "partner", "currency", "payable", "in_open_payouts"})
	for _, b := range bs {
		_ = c.Write([]string{b.PartnerID, b.PartnerName, b.Currency, tandem.FormatDecimal(b.Payable, b.Currency), tandem.FormatDecimal(b.InPayout, b.Currency)})
	}
	c.Flush()
	sendCSV(w, "payable-balances.csv", buf.Bytes())
}

// settingsPage is a program's payout settings form.
type settingsPage struct {
	Program   *tandem.Program
	Settings  *tandem.PayoutSettings
	Methods   []tandem.PayoutMethodKind
	Schedules []tandem.PayoutSchedule
	Next      time.Time
}

func (s *Server) handlePayoutSettings(w http.ResponseWriter, r *http.Request) {
	s.renderPayoutSettings(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderPayoutSettings(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	p, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	st, err := s.services.Payouts.Settings(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if f == nil { // a fresh form shows the current settings
		f = &form{errors: map[string]string{}, values: url.Values{"day_of_month": {strconv.Itoa(st.DayOfMonth)},
			"weekday": {strconv.Itoa(int(st.Weekday))}, "net_days": {strconv.Itoa(st.NetDays)}, "time_zone": {st.TimeZone},
			"minimum": {tandem.FormatDecimal(st.Minimums[st.Currency], st.Currency)}}}
	}
	d := settingsPage{Program: p, Settings: st, Next: payout.Next(st, time.Now()),
		Methods:   []tandem.PayoutMethodKind{tandem.MethodPayPal, tandem.MethodWise, tandem.MethodStripeConnect, tandem.MethodProductCredit},
		Schedules: []tandem.PayoutSchedule{tandem.ScheduleManual, tandem.ScheduleMonthly, tandem.ScheduleTwiceMonthly, tandem.ScheduleWeekly}}
	if loc, err := time.LoadLocation(st.TimeZone); err == nil {
		d.Next = d.Next.In(loc) // shown as the schedule reads it
	}
	s.render(w, r, status, "admin_payout_settings", &page{Title: "Payouts of " + p.Name, Area: "admin", Form: f, Flash: fl, Data: d})
}

func (s *Server) handleSavePayoutSettings(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	st := &tandem.PayoutSettings{ProgramID: p.ID, Schedule: tandem.PayoutSchedule(r.PostFormValue("schedule")), TimeZone: r.PostFormValue("time_zone"),
		Currency: p.Currency}
	err = func() error {
		var err error
		if st.DayOfMonth, err = formInt(r, "day_of_month"); err != nil {
			return err
		}
		var wd int
		if wd, err = formInt(r, "weekday"); err != nil {
			return err
		}
		st.Weekday = time.Weekday(wd)
		if st.NetDays, err = formInt(r, "net_days"); err != nil {
			return err
		}
		min, err := payout.ParseAmount(r.PostFormValue("minimum"), p.Currency)
		if err != nil {
			return tandem.Invalidf("minimum", "Enter the minimum as an amount such as 50.00.")
		}
		st.Minimums = map[string]int64{p.Currency: min}
		for _, m := range r.PostForm["methods"] {
			st.Methods = append(st.Methods, tandem.PayoutMethodKind(m))
		}
		if len(st.Methods) == 0 {
			return tandem.Invalidf("methods", "Accept at least one payout method.")
		}
		return s.services.Payouts.SaveSettings(r.Context(), st)
	}()
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderPayoutSettings(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Payout settings saved.")
	http.Redirect(w, r, "/admin/programs/"+p.ID+"/payouts", http.StatusSeeOther)
}

// formInt reads a whole number from a form field; empty is zero.
func formInt(r *http.Request, name string) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, tandem.Invalidf(name, "Enter a whole number.")
	}
	return n, nil
}
