package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticHashes maps each static file to a short hash of its content, which
// its URL carries, so browsers may cache it forever and still never see a
// stale one.
var staticHashes = func() map[string]string {
	hashes := map[string]string{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		panic(err)
	}
	return hashes
}()

// staticURL returns the checksummed URL of a static file.
func staticURL(name string) string {
	return "/static/" + staticHashes[name] + "/" + name
}

// handleStatic serves a static file; with the current hash in its URL it may
// be cached forever.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	hash, ok := staticHashes[name]
	if !ok {
		s.handleNotFound(w, r)
		return
	}
	b, _ := staticFS.ReadFile("static/" + name)
	if r.PathValue("hash") == hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

var templateFuncs = template.FuncMap{
	"static": staticURL,
	// dict builds a map for passing several values to a sub-template.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m, nil
	},
	"date": func(t time.Time) string { return t.Format("2 Jan 2006") },
	// money writes minor units with their currency: 14900, "USD" is "149.00 USD".
	"money":    tandem.FormatAmount,
	"datetime": func(t time.Time) string { return t.Format("2 Jan 2006 15:04 MST") },
	// humanize turns an enum value such as "referral_partner" into "Referral partner".
	"humanize": func(v any) string {
		s := strings.ReplaceAll(fmt.Sprint(v), "_", " ")
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"roleName": func(r tandem.Role) string {
		if r == tandem.RoleReadOnly {
			return "Read-only"
		}
		return strings.ToUpper(string(r[:1])) + string(r[1:])
	},
}

// pages are the parsed page templates, each with the layout and the shared
// partials, parsed once at start-up (a broken template fails every test).
var pages = func() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	shared := []string{"templates/layout.html", "templates/partials.html"}
	out := map[string]*template.Template{}
	for _, name := range names {
		if slices.Contains(shared, name) {
			continue
		}
		base := strings.TrimSuffix(path.Base(name), ".html")
		out[base] = template.Must(template.New(base).Funcs(templateFuncs).ParseFS(templateFS, append(shared, name)...))
	}
	return out
}()

// navItem is one entry of the sidebar.
type navItem struct {
	Label, Path string
	Current     bool
}

// flash is a one-time message shown on the next page.
type flash struct {
	Text  string
	Error bool
}

// page is what every template gets.
type page struct {
	Title       string
	Area        string // "admin", "portal" or "" for public and sign-in pages
	Wide        bool   // a public page wider than the sign-in card
	Nav         []navItem
	User        *tandem.User
	PartnerUser *tandem.PartnerUser
	Flash       *flash
	Banner      *banner // a standing notice above the page, such as new terms to accept
	RequestID   string
	Form        *form
	Data        any
}

// Can reports whether the signed-in business user has the permission, so
// templates hide what the server would refuse anyway.
func (p *page) Can(perm string) bool {
	return p.User != nil && p.User.Role.Can(tandem.Permission(perm))
}

// form holds a submitted form's values and its errors by field.
type form struct {
	values url.Values
	errors map[string]string
}

// newForm returns a form holding the request's submitted values.
func newForm(r *http.Request) *form { return &form{values: r.PostForm, errors: map[string]string{}} }

// Value returns a submitted value, for re-filling a form after an error.
func (f *form) Value(name string) string {
	if f == nil {
		return ""
	}
	return f.values.Get(name)
}

// Error returns the error of a field, if any.
func (f *form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.errors[name]
}

// render executes a page template with the layout and writes it. It fills
// in who is signed in, the navigation and the pending flash message.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := pages[name]
	if !ok {
		s.Error(w, r, fmt.Errorf("no page template %q", name))
		return
	}
	v := viewerFrom(r.Context())
	p.User, p.PartnerUser, p.RequestID = v.user, v.partnerUser, RequestID(r.Context())
	if p.Flash == nil {
		p.Flash = s.popFlash(r)
	}
	switch p.Area {
	case "admin":
		p.Nav = adminNav(v.user, r.URL.Path)
	case "portal":
		p.Nav = portalNav(r.URL.Path)
		p.Banner = s.agreementBanner(r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.Error(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// adminNav is the admin sidebar: only the sections the user's role may see.
// Later features add their sections here.
func adminNav(u *tandem.User, current string) []navItem {
	items := []struct {
		label, path string
		perm        tandem.Permission
	}{
		{"Dashboard", "/admin", tandem.PermView},
		{"Programs", "/admin/programs", tandem.PermView},
		{"Applications", "/admin/applications", tandem.PermView},
		{"Partners", "/admin/partners", tandem.PermView},
		{"Conversions", "/admin/conversions", tandem.PermView},
		{"Commissions", "/admin/commissions", tandem.PermView},
		{"Referrals", "/admin/referrals", tandem.PermView},
		{"Payouts", "/admin/payouts", tandem.PermView},
		{"Team", "/admin/team", tandem.PermView},
		{"API keys", "/admin/api-keys", tandem.PermManageAPIKeys},
		{"Audit log", "/admin/audit", tandem.PermViewAudit},
		{"Your account", "/admin/account", tandem.PermView},
	}
	var nav []navItem
	for _, it := range items {
		if u != nil && u.Role.Can(it.perm) {
			nav = append(nav, navItem{Label: it.label, Path: it.path, Current: current == it.path})
		}
	}
	return nav
}

// portalNav is the partner portal's sidebar.
func portalNav(current string) []navItem {
	nav := []navItem{{Label: "Home", Path: "/portal"}, {Label: "Links", Path: "/portal/links"}, {Label: "Referrals", Path: "/portal/referrals"}, {Label: "Earnings", Path: "/portal/earnings"}, {Label: "Payouts", Path: "/portal/payouts"}, {Label: "Your profile", Path: "/portal/profile"}, {Label: "Your account", Path: "/portal/account"}}
	for i := range nav {
		nav[i].Current = nav[i].Path == current || nav[i].Path == "/portal/referrals" && strings.HasPrefix(current, "/portal/referrals/") ||
			nav[i].Path == "/portal/links" && strings.HasPrefix(current, "/portal/programs/") && strings.HasSuffix(current, "/links")
	}
	return nav
}
