package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/tandem-prm/tandem"
)

// maxInvitationUpload is the largest CSV upload form accepted: a file of
// tandem.MaxImportFileSize and room for the multipart framing.
const maxInvitationUpload = tandem.MaxImportFileSize + 64<<10

func (s *Server) invitationRoutes() {
	s.mux.Handle("GET /admin/programs/{id}/invitations", s.requireUser(tandem.PermView, s.handleInvitations))
	s.mux.Handle("POST /admin/programs/{id}/invitations", s.requireUser(tandem.PermManagePartners, s.handleInviteToProgram))
	s.mux.Handle("POST /admin/programs/{id}/invitations/{invID}/revoke", s.requireUser(tandem.PermManagePartners, s.handleRevokeInvitation))
	s.mux.Handle("POST /admin/programs/{id}/invitations/import", s.requireUserUpload(tandem.PermManagePartners, maxInvitationUpload, s.handleImportInvitations))
	s.mux.Handle("GET /admin/programs/{id}/invitations/imports/{importID}", s.requireUser(tandem.PermView, s.handleInvitationImport))
}

// invitationsPage is what the invitations page shows; with Import set, it
// is the page of that import instead.
type invitationsPage struct {
	Program     *tandem.Program
	Invitations []*tandem.Invitation
	Imports     []*tandem.InvitationImport
	Import      *tandem.InvitationImport
	MaxMB       int
}

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, status int, prog *tandem.Program, f *form, fl *flash) {
	ctx := r.Context()
	data := &invitationsPage{Program: prog, MaxMB: tandem.MaxImportFileSize >> 20}
	var err error
	if data.Invitations, err = s.services.Invitations.FindInvitations(ctx, tandem.InvitationFilter{ProgramID: prog.ID, Limit: 500}); err != nil {
		s.Error(w, r, err)
		return
	}
	if data.Imports, err = s.services.Invitations.FindImports(ctx, prog.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "admin_invitations", &page{Title: "Invitations · " + prog.Name, Area: "admin", Form: f, Flash: fl, Data: data})
}

func (s *Server) handleInvitations(w http.ResponseWriter, r *http.Request) {
	prog, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderInvitations(w, r, http.StatusOK, prog, nil, nil)
}

func (s *Server) handleInviteToProgram(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ctx := r.Context()
	prog, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	inv, err := s.services.Invitations.InviteToProgram(ctx, viewerFrom(ctx).user.ID, prog.ID,
		r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("company"))
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderInvitations(w, r, status, prog, f, fl) })
		return
	}
	if inv.SentAt.Equal(inv.CreatedAt) {
		s.setFlash(r, "Invitation sent to "+inv.Email+".")
	} else {
		s.setFlash(r, "Invitation sent again to "+inv.Email+". The earlier link no longer works.")
	}
	http.Redirect(w, r, "/admin/programs/"+prog.ID+"/invitations", http.StatusSeeOther)
}

func (s *Server) handleRevokeInvitation(w http.ResponseWriter, r *http.Request) {
	inv, err := s.services.Invitations.RevokeInvitation(r.Context(), r.PathValue("id"), r.PathValue("invID"))
	switch code := tandem.ErrorCode(err); {
	case code == tandem.EINVALID || code == tandem.ECONFLICT:
		s.sessions.Put(r.Context(), sessError, tandem.ErrorMessage(err))
	case err != nil:
		s.Error(w, r, err)
		return
	default:
		s.setFlash(r, "Invitation of "+inv.Email+" withdrawn: its link no longer works.")
	}
	http.Redirect(w, r, "/admin/programs/"+r.PathValue("id")+"/invitations", http.StatusSeeOther)
}

func (s *Server) handleImportInvitations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	prog, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	name, data, err := readCSVUpload(r)
	var imp *tandem.InvitationImport
	if err == nil {
		imp, err = s.services.Invitations.StartImport(ctx, viewerFrom(ctx).user.ID, prog.ID, name, data)
	}
	if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderInvitations(w, r, status, prog, f, fl) })
		return
	}
	s.setFlash(r, fmt.Sprintf("%s uploaded: inviting %d people. You can leave this page; the import goes on.", imp.FileName, imp.Total))
	http.Redirect(w, r, "/admin/programs/"+prog.ID+"/invitations/imports/"+imp.ID, http.StatusSeeOther)
}

// readCSVUpload reads the CSV file of the import form.
func readCSVUpload(r *http.Request) (name string, data []byte, err error) {
	err = r.ParseMultipartForm(maxInvitationUpload)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	tooBig := tandem.Invalidf("file", "The file must be at most %d MB. Split it into smaller files.", tandem.MaxImportFileSize>>20)
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return "", nil, tooBig
	case errors.Is(err, http.ErrNotMultipart):
		return "", nil, tandem.Invalidf("file", "Choose a CSV file to upload.")
	case err != nil:
		return "", nil, tandem.Invalidf("file", "The form could not be read; please try again.")
	}
	file, header, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return "", nil, tandem.Invalidf("file", "Choose a CSV file to upload.")
	} else if err != nil {
		return "", nil, fmt.Errorf("read uploaded file: %w", err)
	}
	defer file.Close()
	if data, err = io.ReadAll(io.LimitReader(file, tandem.MaxImportFileSize+1)); err != nil {
		return "", nil, fmt.Errorf("read uploaded file: %w", err)
	}
	if len(data) > tandem.MaxImportFileSize {
		return "", nil, tooBig
	}
	return header.Filename, data, nil
}

// handleInvitationImport shows an import: its progress while it runs (the
// progress card polls for itself with htmx, getting only the card back),
// and the per-row report once it is done.
func (s *Server) handleInvitationImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	imp, err := s.services.Invitations.FindImport(ctx, r.PathValue("id"), r.PathValue("importID"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" {
		s.renderFragment(w, r, "admin_invitations", "import-progress", imp)
		return
	}
	prog, err := s.services.Programs.FindProgramByID(ctx, imp.ProgramID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_invitations", &page{Title: "Import of " + imp.FileName, Area: "admin",
		Data: &invitationsPage{Program: prog, Import: imp}})
}

// renderFragment writes one named template of a page, without the layout:
// the answer to an htmx request that swaps a part of the page.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, pageName, name string, data any) {
	var buf bytes.Buffer
	if err := pages[pageName].ExecuteTemplate(&buf, name, data); err != nil {
		s.Error(w, r, fmt.Errorf("render %s of %s: %w", name, pageName, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// publicInvite is the invitation a visitor came to a program's public page
// with: its token travels on in the application form's hidden field.
type publicInvite struct {
	Token      string
	Invitation *tandem.Invitation
	SkipReview bool // applying approves the membership at once
}

// pageInvitation checks the invitation token of a public page request (the
// ?invite= of the emailed link, or the form's hidden field): nil without
// one, EINVALID saying why when it is not valid for the program.
func (s *Server) pageInvitation(r *http.Request, p *tandem.Program) (*publicInvite, error) {
	token := r.FormValue("invite")
	if token == "" {
		return nil, nil
	}
	inv, err := s.services.Invitations.CheckInvitation(r.Context(), p.ID, token)
	if err != nil {
		return nil, err
	}
	return &publicInvite{Token: token, Invitation: inv, SkipReview: p.InvitesSkipReview}, nil
}

// form is the application form filled in with what the inviter knew.
func (pi *publicInvite) form() *form {
	return &form{values: url.Values{"name": {pi.Invitation.Name}, "email": {pi.Invitation.Email}, "company": {pi.Invitation.Company}},
		errors: map[string]string{}}
}
