package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tandem-prm/tandem"
)

func (s *Server) applicationRoutes() {
	s.mux.Handle("GET /admin/applications", s.requireUser(tandem.PermView, s.handleApplications))
	s.mux.Handle("POST /admin/memberships/{id}/review", s.requireUser(tandem.PermManagePartners, s.handleReview))
	s.mux.Handle("POST /admin/memberships/{id}/status", s.requireUser(tandem.PermManagePartners, s.handleMembershipStatus))
	s.mux.Handle("POST /p/{slug}/apply", s.ui(s.handleApply))
}

// applicationRow is one membership in the queue with what a reviewer needs.
type applicationRow struct {
	Membership *tandem.Membership
	Partner    *tandem.Partner
	Program    *tandem.Program
	Answers    []questionAnswer
	Groups     []*tandem.PartnerGroup
}

type questionAnswer struct{ Question, Answer string }

var flagLabels = map[string]string{
	tandem.FlagFreeEmail:       "free email address",
	tandem.FlagDisposableEmail: "disposable email address",
	tandem.FlagExistingPartner: "already a partner elsewhere",
	tandem.FlagExistingUser:    "one of your own users",
	"more_info_requested":      "more information asked",
}

func (s *Server) handleApplications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	status := tandem.MembershipStatus(r.FormValue("status"))
	if status == "" {
		status = tandem.MembershipPending
	}
	programs, err := s.services.Programs.FindPrograms(ctx, tandem.ProgramFilter{})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	byID := map[string]*tandem.Program{}
	for _, p := range programs {
		byID[p.ID] = p
	}
	memberships, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: r.FormValue("program"), Status: status, Limit: 200})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	questions := map[string]map[string]string{} // program -> question ID -> label
	groups := map[string][]*tandem.PartnerGroup{}
	rows := make([]applicationRow, 0, len(memberships))
	for _, m := range memberships {
		if _, ok := questions[m.ProgramID]; !ok {
			qs, err := s.services.Recruiting.FindQuestions(ctx, m.ProgramID)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			questions[m.ProgramID] = map[string]string{}
			for _, q := range qs {
				questions[m.ProgramID][q.ID] = q.Label
			}
			if groups[m.ProgramID], err = s.services.Recruiting.FindGroups(ctx, m.ProgramID); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		partner, err := s.services.Partners.FindPartnerByID(ctx, m.PartnerID)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		row := applicationRow{Membership: m, Partner: partner, Program: byID[m.ProgramID], Groups: groups[m.ProgramID]}
		for id, answer := range m.Answers {
			label := questions[m.ProgramID][id]
			if label == "" {
				label = "(a question since removed)"
			}
			row.Answers = append(row.Answers, questionAnswer{label, answer})
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "admin_applications", &page{Title: "Applications", Area: "admin", Data: map[string]any{
		"Rows": rows, "Programs": programs, "Program": r.FormValue("program"), "Status": string(status), "Flags": flagLabels,
		"Statuses": []tandem.MembershipStatus{tandem.MembershipPending, tandem.MembershipApproved, tandem.MembershipRejected, tandem.MembershipSuspended},
	}})
}

// backToQueue returns to the applications list the reviewer came from.
func (s *Server) backToQueue(w http.ResponseWriter, r *http.Request, err error, done string) {
	if err != nil && tandem.ErrorCode(err) == tandem.EINTERNAL {
		s.Error(w, r, err)
		return
	}
	if err != nil {
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
	} else {
		s.setFlash(r, done)
	}
	back := "/admin/applications"
	if q := r.PostFormValue("back"); q != "" {
		back += "?" + url.Values{"program": {r.PostFormValue("program")}, "status": {q}}.Encode()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) handleReview(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	d := tandem.Decision{Kind: tandem.DecisionKind(r.PostFormValue("decision")), GroupID: r.PostFormValue("group_id"), Reason: r.PostFormValue("reason")}
	_, err := s.services.Recruiting.ReviewMembership(r.Context(), r.PathValue("id"), d)
	done := map[tandem.DecisionKind]string{tandem.DecideApprove: "Approved. The partner has been emailed.",
		tandem.DecideReject: "Rejected. The partner has been emailed the reason.", tandem.DecideAskMoreInfo: "Question sent to the applicant."}[d.Kind]
	s.backToQueue(w, r, err, done)
}

// handleMembershipStatus suspends or reactivates a partner in a program.
// Applications are decided through review (which emails the partner), so
// this route moves only between approved and suspended.
func (s *Server) handleMembershipStatus(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	to := tandem.MembershipStatus(r.PostFormValue("status"))
	var m *tandem.Membership
	var err error = tandem.Invalidf("status", "Only approved partners can be suspended, and only suspended ones reactivated.")
	if current, findErr := s.services.Partners.FindMemberships(r.Context(), tandem.MembershipFilter{ID: r.PathValue("id"), Limit: 1}); findErr != nil {
		err = findErr
	} else if len(current) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "Partner not found in this program.")
	} else if from := current[0].Status; (from == tandem.MembershipApproved && to == tandem.MembershipSuspended) || (from == tandem.MembershipSuspended && to == tandem.MembershipApproved) {
		m, err = s.services.Partners.SetMembershipStatus(r.Context(), r.PathValue("id"), to, r.PostFormValue("reason"))
	}
	done := ""
	if err == nil {
		done = "The partner is now " + string(m.Status) + "."
	}
	s.backToQueue(w, r, err, done)
}

// handleApply takes an application from a program's public page.
func (s *Server) handleApply(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	program, err := s.publicProgram(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.limit(r, map[string]int{"apply:ip:" + clientNet(r): limitPerIP}); err != nil {
		s.renderPublicProgram(w, r, statusOf[tandem.ErrorCode(err)], program, newForm(r), &flash{Text: tandem.ErrorMessage(err), Error: true})
		return
	}
	answers := map[string]string{}
	for key, values := range r.PostForm {
		if id, ok := strings.CutPrefix(key, "answer_"); ok && len(values) > 0 {
			answers[id] = values[0]
		}
	}
	a := &tandem.Application{ProgramID: program.ID, Name: r.PostFormValue("name"), Email: r.PostFormValue("email"),
		Kind: tandem.PartnerKind(r.PostFormValue("kind")), Company: r.PostFormValue("company"), Website: r.PostFormValue("website"),
		SocialLinks: strings.Fields(r.PostFormValue("social_links")), Audience: r.PostFormValue("audience"), Answers: answers,
		InviteToken: r.PostFormValue("invite")}
	m, err := s.services.Recruiting.Apply(r.Context(), a)
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderPublicProgram(w, r, status, program, f, fl) })
		return
	}
	s.render(w, r, http.StatusCreated, "applied", &page{Title: "Application received", Wide: true, Data: map[string]any{
		"Program": program, "Approved": m.Status == tandem.MembershipApproved, "Email": a.Email}})
}
