package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

// maxResourceForm is the largest resource form accepted: a 10 MiB file and
// room for the text fields and the multipart framing.
const maxResourceForm = 11 << 20

// placeholderLink is what {link} in ready-to-share copy shows until
// partners have their own referral links.
const placeholderLink = "your referral link"

func (s *Server) resourceRoutes() {
	s.mux.Handle("GET /admin/programs/{id}/resources", s.requireUser(tandem.PermView, s.handleAdminResources))
	s.mux.Handle("POST /admin/programs/{id}/resources", s.requireUserUpload(tandem.PermManagePrograms, maxResourceForm, s.handleCreateResource))
	s.mux.Handle("POST /admin/programs/{id}/resources/{rid}/archive", s.requireUser(tandem.PermManagePrograms, s.handleArchiveResource))
	s.mux.Handle("GET /admin/files/{fileID}", s.requireUser(tandem.PermView, s.handleAdminFile))
	s.mux.Handle("GET /portal/programs/{id}/resources", s.requirePartner(s.handlePortalResources))
	s.mux.Handle("POST /portal/programs/{id}/resources/{rid}/read", s.requirePartner(s.handleMarkResourceRead))
	s.mux.Handle("GET /portal/files/{fileID}", s.requirePartner(s.handlePortalFile))
}

type uploadBodyKey struct{}

// requireUserUpload is requireUser for a route that takes an upload: the
// request body may be up to limit bytes instead of the 1 MiB every other
// UI route allows. The guard itself (session, cross-site check, role) is
// requireUser's; only the body limit differs.
func (s *Server) requireUserUpload(perm tandem.Permission, limit int64, h http.HandlerFunc) http.Handler {
	guarded := s.requireUser(perm, func(w http.ResponseWriter, r *http.Request) {
		// ui capped the body at 1 MiB; nothing has read it yet, so the
		// original body can be capped at the upload limit instead.
		if body, ok := r.Context().Value(uploadBodyKey{}).(io.ReadCloser); ok {
			r.Body = http.MaxBytesReader(w, body, limit)
		}
		h(w, r)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		guarded.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadBodyKey{}, r.Body)))
	})
}

// resourceRow is a resource as a page shows it.
type resourceRow struct {
	*tandem.Resource
	GroupName string
	HTML      template.HTML // the Markdown body, rendered safely
	Copy      string        // ready-to-share copy with {link} filled in
	Size      string        // the file's size for people
	Image     bool          // the file is an image, shown as a preview
	ReadAt    time.Time     // when the partner read it (portal)
}

// resourceSection is the resources of one kind.
type resourceSection struct {
	Kind tandem.ResourceKind
	Rows []resourceRow
}

// resourceSections groups resources by kind in the library's order. Bodies
// are rendered with the one Markdown renderer, renderMarkdown (markdown.go).
// link is what {link} in copy becomes: the partner's default link, or the
// placeholder.
func resourceSections(resources []*tandem.Resource, groupNames map[string]string, reads map[string]time.Time, link string) ([]resourceSection, error) {
	var out []resourceSection
	for _, kind := range tandem.ResourceKinds {
		sec := resourceSection{Kind: kind}
		for _, res := range resources {
			if res.Kind != kind {
				continue
			}
			row := resourceRow{Resource: res, GroupName: groupNames[res.GroupID], ReadAt: reads[res.ID]}
			if res.GroupID != "" && row.GroupName == "" {
				row.GroupName = res.GroupID
			}
			if kind == tandem.ResourceCopy {
				row.Copy = tandem.FillCopy(res.Body, link)
			} else if res.Body != "" {
				html, err := renderMarkdown(res.Body)
				if err != nil {
					return nil, err
				}
				row.HTML = html
			}
			if res.FileID != "" {
				row.Size, row.Image = fileSize(res.FileSize), tandem.IsImageType(res.FileType)
			}
			sec.Rows = append(sec.Rows, row)
		}
		if len(sec.Rows) > 0 {
			out = append(out, sec)
		}
	}
	return out, nil
}

func (s *Server) handleAdminResources(w http.ResponseWriter, r *http.Request) {
	prog, err := s.services.Programs.FindProgramByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// The add form starts from the query, so choosing a kind can reload it
	// (with htmx, or a plain link) keeping what was typed; a persona starts
	// from the persona template.
	q := r.URL.Query()
	values := url.Values{}
	for _, k := range []string{"title", "kind", "group_id", "body", "url", "required"} {
		if v := q.Get(k); v != "" {
			values.Set(k, v)
		}
	}
	body := strings.ReplaceAll(values.Get("body"), "\r\n", "\n")
	switch kind := tandem.ResourceKind(values.Get("kind")); {
	case kind == tandem.ResourcePersona && strings.TrimSpace(body) == "":
		values.Set("body", tandem.PersonaTemplate)
	case kind != tandem.ResourcePersona && body == tandem.PersonaTemplate:
		values.Del("body")
	}
	s.renderAdminResources(w, r, http.StatusOK, prog, &form{values: values, errors: map[string]string{}}, nil)
}

func (s *Server) renderAdminResources(w http.ResponseWriter, r *http.Request, status int, prog *tandem.Program, f *form, fl *flash) {
	ctx := r.Context()
	showArchived := r.URL.Query().Get("archived") != ""
	groups, err := s.services.Recruiting.FindGroups(ctx, prog.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	resources, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{ProgramID: prog.ID, IncludeArchived: showArchived, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	sections, err := resourceSections(resources, names, nil, placeholderLink)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.render(w, r, status, "admin_resources", &page{Title: "Resources · " + prog.Name, Area: "admin", Form: f, Flash: fl, Data: map[string]any{
		"Program": prog, "Groups": groups, "Sections": sections,
		"Kinds": tandem.ResourceKinds, "ShowArchived": showArchived, "MaxFileMB": tandem.MaxFileSize >> 20,
	}})
}

func (s *Server) handleCreateResource(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	prog, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rerender := func(status int, f *form, fl *flash) { s.renderAdminResources(w, r, status, prog, f, fl) }
	upload, err := readResourceForm(r)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	res := &tandem.Resource{
		ProgramID: prog.ID, GroupID: r.PostFormValue("group_id"), Kind: tandem.ResourceKind(r.PostFormValue("kind")),
		Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), URL: r.PostFormValue("url"),
		Required: r.PostFormValue("required") != "",
	}
	if err := s.services.Resources.CreateResource(ctx, res, upload); err != nil {
		s.formError(w, r, err, rerender)
		return
	}
	s.setFlash(r, fmt.Sprintf("Added “%s” to the library.", res.Title))
	http.Redirect(w, r, "/admin/programs/"+prog.ID+"/resources", http.StatusSeeOther)
}

// readResourceForm parses the resource form (multipart, or urlencoded
// without a file) and returns its upload, if a file was chosen.
func readResourceForm(r *http.Request) (*tandem.Upload, error) {
	err := r.ParseMultipartForm(maxResourceForm)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, http.ErrNotMultipart):
		return nil, nil // a form without a file input; ParseForm has read it
	case errors.As(err, &tooBig):
		return nil, tandem.Invalidf("file", "The file must be at most %d MB.", tandem.MaxFileSize>>20)
	case err != nil:
		return nil, tandem.Invalidf("file", "The form could not be read; please try again.")
	}
	file, header, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read uploaded file: %w", err)
	}
	defer file.Close()
	// One byte more than allowed is enough for the service to refuse it.
	data, err := io.ReadAll(io.LimitReader(file, tandem.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read uploaded file: %w", err)
	}
	return &tandem.Upload{Name: header.Filename, ContentType: header.Header.Get("Content-Type"), Data: data}, nil
}

func (s *Server) handleArchiveResource(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	res, err := s.services.Resources.FindResourceByID(ctx, r.PathValue("rid"))
	if err == nil && res.ProgramID != r.PathValue("id") {
		err = tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
	}
	if err == nil {
		err = s.services.Resources.ArchiveResource(ctx, res.ID)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, fmt.Sprintf("Archived “%s”: partners no longer see it.", res.Title))
	http.Redirect(w, r, "/admin/programs/"+res.ProgramID+"/resources", http.StatusSeeOther)
}

func (s *Server) handleAdminFile(w http.ResponseWriter, r *http.Request) {
	f, err := s.services.Resources.OpenFile(r.Context(), r.PathValue("fileID"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	serveStoredFile(w, r, f)
}

// approvedMembership returns the signed-in partner's membership in the
// program: ENOTFOUND if it has none, EFORBIDDEN until it is approved.
func (s *Server) approvedMembership(r *http.Request, programID string) (*membershipView, error) {
	ms, err := s.partnerMemberships(r, programID)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
	}
	if ms[0].Membership.Status != tandem.MembershipApproved {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "The resource library opens once your membership of %s is approved.", ms[0].Program.Name)
	}
	return &ms[0], nil
}

func (s *Server) handlePortalResources(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := s.approvedMembership(r, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partner := viewerFrom(ctx).partner
	resources, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{ProgramID: m.Program.ID, PartnerID: partner.ID, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	reads, err := s.services.Resources.ReadResources(ctx, partner.ID, m.Program.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	link, err := s.defaultLinkURL(ctx, partner.ID, m.Program.ID, placeholderLink)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sections, err := resourceSections(resources, nil, reads, link)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	required, read := 0, 0
	for _, res := range resources {
		if res.Required {
			required++
			if _, ok := reads[res.ID]; ok {
				read++
			}
		}
	}
	s.render(w, r, http.StatusOK, "portal_resources", &page{Title: "Resources · " + m.Program.Name, Area: "portal", Data: map[string]any{
		"Program": m.Program, "Sections": sections,
		"Required": required, "Read": read, "Placeholder": placeholderLink, "HasLink": link != placeholderLink,
	}})
}

func (s *Server) handleMarkResourceRead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := s.approvedMembership(r, r.PathValue("id"))
	if tandem.ErrorCode(err) == tandem.EFORBIDDEN {
		err = tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partner := viewerFrom(ctx).partner
	found, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{ID: r.PathValue("rid"), ProgramID: m.Program.ID, PartnerID: partner.ID, Limit: 1})
	if err == nil && len(found) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
	}
	if err == nil {
		err = s.services.Resources.MarkResourceRead(ctx, partner.ID, found[0].ID)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, fmt.Sprintf("Marked “%s” as read.", found[0].Title))
	http.Redirect(w, r, "/portal/programs/"+m.Program.ID+"/resources#"+found[0].ID, http.StatusSeeOther)
}

// handlePortalFile serves a file of a resource the partner may see; any
// other file does not exist, as far as the partner can tell.
func (s *Server) handlePortalFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fileID := r.PathValue("fileID")
	found, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{FileID: fileID, PartnerID: viewerFrom(ctx).partner.ID, Limit: 1})
	if err == nil && (fileID == "" || len(found) == 0) {
		err = tandem.Errorf(tandem.ENOTFOUND, "File not found.")
	}
	var f *tandem.StoredFile
	if err == nil {
		f, err = s.services.Resources.OpenFile(ctx, fileID)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	serveStoredFile(w, r, f)
}

// serveStoredFile sends a stored file with its sniffed type: PDFs as a
// download, images inline, never re-sniffed by the browser.
func serveStoredFile(w http.ResponseWriter, r *http.Request, f *tandem.StoredFile) {
	disposition := "attachment"
	if tandem.IsImageType(f.ContentType) {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	if v := mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}); v != "" {
		h.Set("Content-Disposition", v)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+f.ID+`"`) // a stored file never changes: a new upload is a new file
	http.ServeContent(w, r, "", f.CreatedAt, bytes.NewReader(f.Data))
}

// fileSize is a byte count for people.
func fileSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
