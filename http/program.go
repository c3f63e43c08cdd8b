package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/tandem-prm/tandem"
)

func (s *Server) programRoutes() {
	s.mux.Handle("GET /admin/programs/new", s.requireUser(tandem.PermManagePrograms, s.handleNewProgram))
	s.mux.Handle("POST /admin/programs", s.requireUser(tandem.PermManagePrograms, s.handleCreateProgram))
	s.mux.Handle("GET /admin/programs/{id}", s.requireUser(tandem.PermView, s.handleProgram))
	s.mux.Handle("POST /admin/programs/{id}", s.requireUser(tandem.PermManagePrograms, s.handleUpdateProgram))
	s.mux.Handle("POST /admin/programs/{id}/groups", s.requireUser(tandem.PermManagePrograms, s.handleCreateGroup))
	s.mux.Handle("POST /admin/programs/{id}/questions", s.requireUser(tandem.PermManagePrograms, s.handleAddQuestion))
	s.mux.Handle("POST /admin/programs/{id}/questions/{qid}/archive", s.requireUser(tandem.PermManagePrograms, s.handleArchiveQuestion))
}

// programPage is what the program page shows.
type programPage struct {
	Program   *tandem.Program
	New       bool
	Groups    []*tandem.PartnerGroup
	Questions []*tandem.ApplicationQuestion
	Types     []tandem.ProgramType
	Kinds     []tandem.QuestionKind
	// BaseURL is where the tracking snippet is served from, for the tag to paste.
	BaseURL string
}

func (s *Server) renderProgram(w http.ResponseWriter, r *http.Request, status int, p *tandem.Program, f *form, fl *flash) {
	data := &programPage{Program: p, New: p.ID == "",
		Types:   []tandem.ProgramType{tandem.ProgramReferral, tandem.ProgramAffiliate, tandem.ProgramReseller, tandem.ProgramStrategic},
		Kinds:   []tandem.QuestionKind{tandem.QuestionText, tandem.QuestionLongText, tandem.QuestionChoice, tandem.QuestionURL},
		BaseURL: strings.TrimSuffix(s.baseURL, "/")}
	if !data.New {
		var err error
		if data.Groups, err = s.services.Recruiting.FindGroups(r.Context(), p.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		if data.Questions, err = s.services.Recruiting.FindQuestions(r.Context(), p.ID); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	title := p.Name
	if data.New {
		title = "New program"
	}
	if f == nil {
		f = programForm(p)
	}
	s.render(w, r, status, "admin_program", &page{Title: title, Area: "admin", Form: f, Flash: fl, Data: data})
}

// programForm fills the settings form from a stored program.
func programForm(p *tandem.Program) *form {
	v := map[string][]string{
		"name": {p.Name}, "slug": {p.Slug}, "type": {string(p.Type)}, "currency": {p.Currency}, "time_zone": {p.TimeZone},
		"cookie_days": {strconv.Itoa(p.CookieDays)}, "protection_days": {strconv.Itoa(p.ProtectionDays)}, "attribution": {string(p.Attribution)}, "status": {string(p.Status)},
		"destination_url": {p.DestinationURL}, "allowed_domains": {strings.Join(otherDomains(p), "\n")},
		"headline": {p.Headline}, "value_props": {p.ValueProps}, "ideal_partner": {p.IdealPartner},
		"click_param": {p.ClickParam}, "ref_params": {strings.Join(p.RefParams, ", ")},
	}
	if p.AutoApprove {
		v["auto_approve"] = []string{"on"}
	}
	if p.InvitesSkipReview {
		v["invites_skip_review"] = []string{"on"}
	}
	return &form{values: v, errors: map[string]string{}}
}

// otherDomains are the allowed domains besides the destination's, which is
// always allowed and so not listed in the form.
func otherDomains(p *tandem.Program) []string {
	dest := ""
	if u, err := url.Parse(p.DestinationURL); err == nil {
		dest = strings.ToLower(u.Hostname())
	}
	var out []string
	for _, d := range p.AllowedDomains {
		if d != dest {
			out = append(out, d)
		}
	}
	return out
}

// programFromForm reads the settings form into p.
func programFromForm(r *http.Request, p *tandem.Program) error {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("cookie_days")))
	if err != nil {
		return tandem.Invalidf("cookie_days", "Cookie window must be a whole number of days.")
	}
	// Left out (an older form): a new program gets the default, a stored one keeps its own.
	switch v := strings.TrimSpace(r.PostFormValue("protection_days")); {
	case v == "" && p.ID == "":
		p.ProtectionDays = tandem.DefaultProtectionDays
	case v != "":
		if p.ProtectionDays, err = strconv.Atoi(v); err != nil {
			return tandem.Invalidf("protection_days", "Protection window must be a whole number of days.")
		}
	}
	p.Name, p.Slug, p.Type = r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("slug")), tandem.ProgramType(r.PostFormValue("type"))
	p.Currency, p.TimeZone = strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), strings.TrimSpace(r.PostFormValue("time_zone"))
	p.CookieDays, p.Attribution = days, tandem.AttributionModel(r.PostFormValue("attribution"))
	p.AutoApprove, p.InvitesSkipReview = r.PostFormValue("auto_approve") == "on", r.PostFormValue("invites_skip_review") == "on"
	p.DestinationURL, p.AllowedDomains = r.PostFormValue("destination_url"), strings.Fields(r.PostFormValue("allowed_domains"))
	p.Headline, p.ValueProps, p.IdealPartner = r.PostFormValue("headline"), r.PostFormValue("value_props"), r.PostFormValue("ideal_partner")
	p.ClickParam = r.PostFormValue("click_param")
	p.RefParams = strings.FieldsFunc(r.PostFormValue("ref_params"), func(c rune) bool { return c == ',' || unicode.IsSpace(c) })
	if st := r.PostFormValue("status"); st != "" {
		p.Status = tandem.ProgramStatus(st)
	}
	return nil
}

func (s *Server) handleNewProgram(w http.ResponseWriter, r *http.Request) {
	s.renderProgram(w, r, http.StatusOK, &tandem.Program{Type: tandem.ProgramReferral, Currency: "USD", TimeZone: "UTC", CookieDays: 30,
		ProtectionDays: tandem.DefaultProtectionDays,
		Attribution:    tandem.LastClick, InvitesSkipReview: true}, nil, nil)
}

func (s *Server) handleCreateProgram(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p := &tandem.Program{}
	err := programFromForm(r, p)
	if err == nil {
		err = s.services.Programs.CreateProgram(r.Context(), p)
	}
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderProgram(w, r, status, &tandem.Program{}, f, fl) })
		return
	}
	s.setFlash(r, "Program created. Add groups, application questions and terms below.")
	http.Redirect(w, r, "/admin/programs/"+p.ID, http.StatusSeeOther)
}

func (s *Server) handleProgram(w http.ResponseWriter, r *http.Request) {
	p, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderProgram(w, r, http.StatusOK, p, nil, nil)
}

func (s *Server) handleUpdateProgram(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	stored := *p
	if err = programFromForm(r, p); err == nil {
		err = s.services.Programs.UpdateProgram(r.Context(), p)
	}
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderProgram(w, r, status, &stored, f, fl) })
		return
	}
	s.setFlash(r, "Settings saved.")
	http.Redirect(w, r, "/admin/programs/"+p.ID, http.StatusSeeOther)
}

// afterProgramChange returns to the program page: with the saved flash, or
// with the form's error.
func (s *Server) afterProgramChange(w http.ResponseWriter, r *http.Request, err error, done string) {
	if err == nil {
		s.setFlash(r, done)
		http.Redirect(w, r, "/admin/programs/"+r.PathValue("id"), http.StatusSeeOther)
		return
	}
	p, findErr := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if findErr != nil {
		s.Error(w, r, findErr)
		return
	}
	s.formError(w, r, err, func(status int, f *form, fl *flash) {
		for k, v := range programForm(p).values {
			if _, posted := f.values[k]; !posted {
				f.values[k] = v
			}
		}
		s.renderProgram(w, r, status, p, f, fl)
	})
}

func (s *Server) handleCreateGroup(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	_, err := s.services.Recruiting.CreateGroup(r.Context(), r.PathValue("id"), r.PostFormValue("group_name"))
	if tandem.ErrorField(err) == "name" {
		err = &tandem.Error{Code: tandem.ErrorCode(err), Field: "group_name", Message: tandem.ErrorMessage(err)}
	}
	s.afterProgramChange(w, r, err, "Group added.")
}

func (s *Server) handleAddQuestion(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := &tandem.ApplicationQuestion{ProgramID: r.PathValue("id"), Label: r.PostFormValue("label"),
		Kind: tandem.QuestionKind(r.PostFormValue("kind")), Choices: strings.Split(r.PostFormValue("choices"), "\n"),
		Required: r.PostFormValue("required") == "on"}
	s.afterProgramChange(w, r, s.services.Recruiting.AddQuestion(r.Context(), q), "Question added to the application form.")
}

func (s *Server) handleArchiveQuestion(w http.ResponseWriter, r *http.Request) {
	err := s.services.Recruiting.ArchiveQuestion(r.Context(), r.PathValue("id"), r.PathValue("qid"))
	s.afterProgramChange(w, r, err, "Question removed from the application form.")
}
