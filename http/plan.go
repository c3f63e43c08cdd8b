package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/commission"
)

// Commission plans in the admin: each plan's rules in words, and a new
// version published from the rules as JSON (the same document the API takes).

func (s *Server) planRoutes() {
	s.mux.Handle("GET /admin/programs/{id}/plans", s.requireUser(tandem.PermView, s.handlePlans))
	s.mux.Handle("POST /admin/programs/{id}/plans", s.requireUser(tandem.PermManagePrograms, s.handleCreatePlan))
	s.mux.Handle("POST /admin/programs/{id}/plans/{pid}/versions", s.requireUser(tandem.PermManagePrograms, s.handlePublishPlan))
	s.mux.Handle("POST /admin/programs/{id}/plan-assignments", s.requireUser(tandem.PermManagePrograms, s.handleAssignPlan))
}

// planAssignmentView is a group or partner with a plan of its own, and the
// plan's name.
type planAssignmentView struct {
	tandem.PlanAssignment
	PlanName string
}

// planView is a plan with its current rules in words and as JSON.
type planView struct {
	Plan  *tandem.Plan
	Words []string
	JSON  string
}

func describeRules(v *tandem.PlanVersion, currency string) []string {
	if v == nil {
		return nil
	}
	out := make([]string, len(v.Rules))
	for i := range v.Rules {
		out[i] = commission.Describe(&v.Rules[i], currency)
	}
	return out
}

func (s *Server) renderPlans(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	p, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	plans, err := s.services.Plans.Plans(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	views := make([]planView, len(plans))
	planNames := map[string]string{}
	for i, pl := range plans {
		views[i] = planView{Plan: pl}
		planNames[pl.ID] = pl.Name
		if pl.Current != nil {
			doc, _ := json.MarshalIndent(pl.Current.Rules, "", "  ")
			views[i].Words, views[i].JSON = describeRules(pl.Current, p.Currency), string(doc)
		}
	}
	assigned, err := s.services.Plans.Assignments(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	assignments := make([]planAssignmentView, len(assigned))
	for i, a := range assigned {
		assignments[i] = planAssignmentView{PlanAssignment: a, PlanName: planNames[a.PlanID]}
	}
	groups, err := s.services.Recruiting.FindGroups(r.Context(), p.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.partnerNames(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partners, err := s.memberOptions(r, p.ID, "", names)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "admin_plans", &page{Title: "Commission plans · " + p.Name, Area: "admin", Form: f, Flash: fl,
		Data: map[string]any{"Program": p, "Plans": views, "Assignments": assignments, "Groups": groups, "Partners": partners}})
}

func (s *Server) handlePlans(w http.ResponseWriter, r *http.Request) {
	s.renderPlans(w, r, http.StatusOK, nil, nil)
}

// handleAssignPlan gives a group or a partner (target "group:ID" or
// "partner:ID") a plan of its own, or back the program's default (an empty
// plan_id).
func (s *Server) handleAssignPlan(w http.ResponseWriter, r *http.Request) {
	kind, id, _ := strings.Cut(r.PostFormValue("target"), ":")
	planID := r.PostFormValue("plan_id")
	var err error
	switch {
	case id == "":
		err = tandem.Invalidf("target", "Choose a group or a partner.")
	case kind == "group":
		err = s.services.Plans.AssignPlan(r.Context(), r.PathValue("id"), id, "", planID)
	case kind == "partner":
		err = s.services.Plans.AssignPlan(r.Context(), r.PathValue("id"), "", id, planID)
	default:
		err = tandem.Invalidf("target", "Choose a group or a partner.")
	}
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderPlans(w, r, status, f, fl) })
		return
	}
	if planID == "" {
		s.setFlash(r, "Back on the program's default plan, for conversions recorded from now on.")
	} else {
		s.setFlash(r, "Plan assigned, for conversions recorded from now on; earlier ones keep what they earned.")
	}
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/plans", http.StatusSeeOther)
}

// rulesFromForm reads the rules document of a plan form.
func rulesFromForm(r *http.Request) ([]tandem.Rule, time.Time, error) {
	var rules []tandem.Rule
	dec := json.NewDecoder(strings.NewReader(r.PostFormValue("rules")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rules); err != nil {
		return nil, time.Time{}, tandem.Invalidf("rules", "The rules are not a JSON list of rules: %v.", err)
	}
	var from time.Time
	if v := strings.TrimSpace(r.PostFormValue("effective_from")); v != "" {
		t, err := time.Parse("2006-01-02T15:04", v)
		if err != nil {
			return nil, time.Time{}, tandem.Invalidf("effective_from", "Give the date and time the version takes effect (UTC).")
		}
		from = t
	}
	return rules, from, nil
}

// planFormError shows a rule's error (rules[2].rate) next to the rules box.
func (s *Server) planFormError(w http.ResponseWriter, r *http.Request, err error) {
	if field := tandem.ErrorField(err); strings.HasPrefix(field, "rules[") {
		err = tandem.Invalidf("rules", "%s: %s", field, tandem.ErrorMessage(err))
	}
	s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderPlans(w, r, status, f, fl) })
}

func (s *Server) handleCreatePlan(w http.ResponseWriter, r *http.Request) {
	rules, from, err := rulesFromForm(r)
	if err == nil {
		_, err = s.services.Plans.CreatePlan(r.Context(), r.PathValue("id"), r.PostFormValue("name"), rules, from)
	}
	if err != nil {
		s.planFormError(w, r, err)
		return
	}
	s.setFlash(r, "Plan created.")
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/plans", http.StatusSeeOther)
}

func (s *Server) handlePublishPlan(w http.ResponseWriter, r *http.Request) {
	rules, from, err := rulesFromForm(r)
	if err == nil {
		_, err = s.services.Plans.PublishVersion(r.Context(), r.PathValue("pid"), rules, from)
	}
	if err != nil {
		s.planFormError(w, r, err)
		return
	}
	s.setFlash(r, "New version published. Conversions from its start are judged by it; earlier ones keep what they earned.")
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/plans", http.StatusSeeOther)
}
