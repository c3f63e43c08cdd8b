package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

var (
	libPDF = append([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), 0, 1, 2, 0xff, '\r', '\n', 0, 0x80)
	libPNG = append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0xff)
)

// libUpload posts a multipart form, with a file part if fileName is set.
func (c *client) libUpload(path string, fields map[string]string, fileName string, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	} else {
		// What a browser sends when no file is chosen.
		fw, _ := mw.CreateFormFile("file", "")
		_, _ = fw.Write(nil)
	}
	_ = mw.Close()
	req, err := http.NewRequest("POST", c.app.srv.URL+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location"), header: resp.Header}
}

// libExec runs SQL that no service offers (yet) in a transaction.
func libExec(t *testing.T, db *sqldb.DB, query string, args ...any) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(query, args...); return err }); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func libCount(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// libGroup adds a partner group to the program and, if given, puts the
// partner's membership in it.
func libGroup(t *testing.T, a *app, programID, name, partnerEmail string) string {
	t.Helper()
	id := tandem.NewID(tandem.PrefixGroup)
	libExec(t, a.db, `INSERT INTO partner_groups (id, program_id, name, position, created_at) VALUES ($1, $2, $3, 0, 0)`, id, programID, name)
	if partnerEmail != "" {
		libExec(t, a.db, `UPDATE memberships SET group_id = $1 WHERE program_id = $2
			AND partner_id = (SELECT id FROM partners WHERE email = $3)`, id, programID, partnerEmail)
	}
	return id
}

// libOwner creates the owner and returns a client signed in as them.
func libOwner(t *testing.T, a *app) (*client, *tandem.User) {
	t.Helper()
	owner, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "password of owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")
	return c, owner
}

func TestAdminResourceLibrary(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		admin, _ := libOwner(t, a)
		prog := a.partnerIn("lib", "p@example.com")
		gold := libGroup(t, a, prog.ID, "Gold", "")
		page := "/admin/programs/" + prog.ID + "/resources"
		services := sqldb.NewResourceService(db)

		if r := admin.get(page); r.status != 200 || !strings.Contains(r.body, "No resources yet") || !strings.Contains(r.body, "Only the Gold group") {
			t.Fatalf("empty library = %d, empty state or group choice missing", r.status)
		}
		if r := admin.get(page + "?kind=persona"); !strings.Contains(r.body, "## Demographics") || !strings.Contains(r.body, "## Ideal company profile") ||
			!strings.Contains(r.body, `<option value="persona" selected>`) {
			t.Error("?kind=persona does not pre-fill the persona template")
		}
		if r := admin.get(page + "?kind=video&body=" + url.QueryEscape(tandem.PersonaTemplate)); strings.Contains(r.body, "## Demographics") {
			t.Error("switching away from persona keeps the untouched template")
		}
		if r := admin.get("/admin/programs/prg_doesnotexist/resources"); r.status != 404 {
			t.Errorf("library of a missing program = %d", r.status)
		}

		// One of each kind, through the form.
		for _, tt := range []struct {
			fields   map[string]string
			fileName string
			data     []byte
		}{
			{fields: map[string]string{"kind": "persona", "title": "Agency ops lead", "body": tandem.PersonaTemplate, "required": "1"}},
			{fields: map[string]string{"kind": "value_prop", "title": "Why teams switch", "body": "**Saves a day a week**"}},
			{fields: map[string]string{"kind": "competitor", "title": "Us vs Acme", "body": "Cheaper than Acme.", "group_id": gold}},
			{fields: map[string]string{"kind": "copy", "title": "LinkedIn post", "body": "I use it daily: {link}"}},
			{fields: map[string]string{"kind": "video", "title": "Demo video", "url": "https://www.youtube.com/watch?v=abc"}},
			{fields: map[string]string{"kind": "file", "title": "Sales deck", "required": "1"}, fileName: "deck.pdf", data: libPDF},
			{fields: map[string]string{"kind": "brand", "title": "Logo"}, fileName: "logo.png", data: libPNG},
		} {
			if r := admin.libUpload(page, tt.fields, tt.fileName, tt.data); r.status != 303 || r.location != page {
				t.Fatalf("add %s = %d %q\n%s", tt.fields["kind"], r.status, r.location, r.body)
			}
		}
		r := admin.get(page)
		for _, want := range []string{"Agency ops lead", "Why teams switch", "Us vs Acme", "LinkedIn post", "Demo video", "deck.pdf", "logo.png",
			"Buyer persona", "Brand asset", "Added “Logo” to the library.", "<td>Gold</td>", "<h2>Demographics</h2>"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("library page lacks %q", want)
			}
		}
		all, err := services.FindResources(context.Background(), tandem.ResourceFilter{ProgramID: prog.ID})
		if err != nil || len(all) != 7 {
			t.Fatalf("stored %d resources, %v", len(all), err)
		}
		if !all[0].Required || all[2].GroupID != gold || all[1].Required {
			t.Errorf("form fields not stored: %+v %+v %+v", all[0], all[1], all[2])
		}

		// Refusals come back next to their field and store nothing.
		big := make([]byte, tandem.MaxFileSize+1)
		copy(big, libPDF)
		for _, tt := range []struct {
			name, field, message string
			fields               map[string]string
			fileName             string
			data                 []byte
		}{
			{"no title", "title", "Title is required.", map[string]string{"kind": "value_prop", "body": "x"}, "", nil},
			{"no kind", "kind", "Kind must be one of", map[string]string{"title": "x", "body": "x"}, "", nil},
			{"copy without link", "body", "must contain {link}", map[string]string{"kind": "copy", "title": "x", "body": "no link"}, "", nil},
			{"video over http", "url", "valid https address", map[string]string{"kind": "video", "title": "x", "url": "http://example.com/v"}, "", nil},
			{"file missing", "file", "Choose a PDF", map[string]string{"kind": "file", "title": "x"}, "", nil},
			{"10 MiB + 1", "file", "The file must be at most 10 MB.", map[string]string{"kind": "file", "title": "Big"}, "big.pdf", big},
			{"svg", "file", "Only PDF, PNG", map[string]string{"kind": "brand", "title": "SVG"}, "logo.svg",
				[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
			{"html", "file", "Only PDF, PNG", map[string]string{"kind": "file", "title": "HTML"}, "deck.pdf", []byte("<!doctype html><script>alert(1)</script>")},
			{"group of another program", "group_id", "partner groups", map[string]string{"kind": "value_prop", "title": "x", "body": "x", "group_id": "grp_nope"}, "", nil},
		} {
			r := admin.libUpload(page, tt.fields, tt.fileName, tt.data)
			if r.status != 400 || !strings.Contains(r.body, `id="e-`+tt.field+`"`) || !strings.Contains(r.body, tt.message) {
				t.Errorf("%s = %d; want 400 with %q next to %s", tt.name, r.status, tt.message, tt.field)
			}
			if tt.fields["title"] != "" && !strings.Contains(r.body, `value="`+tt.fields["title"]+`"`) {
				t.Errorf("%s: the form is not refilled", tt.name)
			}
		}
		// A body over the form's 11 MiB limit is cut off and refused the same way.
		huge := make([]byte, 12<<20)
		copy(huge, libPDF)
		if r := admin.libUpload(page, map[string]string{"kind": "file", "title": "Huge"}, "huge.pdf", huge); r.status != 400 || !strings.Contains(r.body, `<div class="error" id="e-file">The file must be at most 10 MB.</div>`) {
			t.Errorf("12 MiB upload = %d; want 400 saying at most 10 MB", r.status)
		}
		if n, m := libCount(t, db, "files"), libCount(t, db, "resources"); n != 2 || m != 7 {
			t.Errorf("after refusals: %d files, %d resources; want 2 and 7", n, m)
		}
		// A file far over the 1 MiB other forms allow, within 10 MiB, is taken.
		large := make([]byte, tandem.MaxFileSize-1)
		copy(large, libPDF)
		if r := admin.libUpload(page, map[string]string{"kind": "file", "title": "Large"}, "large.pdf", large); r.status != 303 {
			t.Errorf("upload of 10 MiB - 1 = %d; want 303", r.status)
		}

		// The admin downloads the stored file byte for byte.
		deck := all[5]
		if r := admin.get("/admin/files/" + deck.FileID); r.status != 200 || r.body != string(libPDF) || r.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("admin download = %d %q", r.status, r.header.Get("Content-Type"))
		}
		if r := admin.get("/admin/files/fil_doesnotexist"); r.status != 404 {
			t.Errorf("missing file = %d", r.status)
		}

		// Archiving hides it from the list (but not from "show archived").
		if r := admin.post(page+"/"+all[1].ID+"/archive", nil); r.status != 303 {
			t.Fatalf("archive = %d", r.status)
		}
		if r := admin.get(page); strings.Contains(r.body, "<strong>Why teams switch</strong>") || !strings.Contains(r.body, "partners no longer see it") {
			t.Error("an archived resource is still listed, or the archiving not confirmed")
		}
		if r := admin.get(page + "?archived=1"); !strings.Contains(r.body, "<strong>Why teams switch</strong>") {
			t.Error("show archived does not show it")
		}
		other := a.partnerIn("other", "o@example.com")
		if r := admin.post("/admin/programs/"+other.ID+"/resources/"+all[2].ID+"/archive", nil); r.status != 404 {
			t.Errorf("archive through another program = %d; want 404", r.status)
		}
	})
}

func TestPortalResourceLibrary(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		s := sqldb.NewResourceService(db)
		mine := a.partnerIn("mine", "me@example.com")
		theirs := a.partnerIn("theirs", "them@example.com")
		libGroup(t, a, mine.ID, "Silver", "me@example.com")
		gold := libGroup(t, a, mine.ID, "Gold", "")

		add := func(r *tandem.Resource, file *tandem.Upload) *tandem.Resource {
			t.Helper()
			if err := s.CreateResource(ctx, r, file); err != nil {
				t.Fatal(err)
			}
			return r
		}
		persona := add(&tandem.Resource{ProgramID: mine.ID, Kind: tandem.ResourcePersona, Title: "Agency ops lead", Required: true,
			Body: "## Demographics\n\nOps leads.\n\n<script>alert('body')</script>\n\n[click me](javascript:alert(1)) " +
				"[entity](&#106;avascript:alert(2)) <img src=x onerror=alert(3)> [ok](https://example.com/guide)"}, nil)
		add(&tandem.Resource{ProgramID: mine.ID, Kind: tandem.ResourceCopy, Title: "Post", Body: "Loving it: {link} <b>bold</b>"}, nil)
		add(&tandem.Resource{ProgramID: mine.ID, Kind: tandem.ResourceVideo, Title: "Demo", URL: "https://vimeo.com/123"}, nil)
		deck := add(&tandem.Resource{ProgramID: mine.ID, Kind: tandem.ResourceFile, Title: "Deck", Required: true},
			&tandem.Upload{Name: "Sales deck.pdf", Data: libPDF})
		logo := add(&tandem.Resource{ProgramID: mine.ID, Kind: tandem.ResourceBrand, Title: "Logo"}, &tandem.Upload{Name: "logo.png", Data: libPNG})
		goldOnly := add(&tandem.Resource{ProgramID: mine.ID, GroupID: gold, Kind: tandem.ResourceFile, Title: "Gold secrets"},
			&tandem.Upload{Name: "gold.pdf", Data: libPDF})
		theirDeck := add(&tandem.Resource{ProgramID: theirs.ID, Kind: tandem.ResourceFile, Title: "Their deck", Required: true},
			&tandem.Upload{Name: "theirs.pdf", Data: libPDF})

		// A partner without a default link (approved before approvals made
		// one) sees copy with a placeholder and the way to get a link.
		libExec(t, db, `DELETE FROM links`)
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		page := "/portal/programs/" + mine.ID + "/resources"
		r := me.get(page)
		if r.status != 200 {
			t.Fatalf("library = %d %s", r.status, r.body)
		}
		for _, want := range []string{"Agency ops lead", "<h2>Demographics</h2>", `href="https://example.com/guide"`,
			"Loving it: your referral link &lt;b&gt;bold&lt;/b&gt;", "open <a href=\"/portal/programs/" + mine.ID + "/links\">your links</a> to get one", `href="https://vimeo.com/123"`,
			`href="/portal/files/` + deck.FileID + `"`, `src="/portal/files/` + logo.FileID + `"`, "0 of 2", "Mark as read"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("library lacks %q", want)
			}
		}
		// Markdown comes out inert: no script, no javascript: link, no handler.
		for _, bad := range []string{"<script>alert", "javascript:", "onerror", "alert(1)", "alert(2)"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("library contains %q", bad)
			}
		}
		for _, hidden := range []string{"Gold secrets", goldOnly.FileID, "Their deck"} {
			if strings.Contains(r.body, hidden) {
				t.Errorf("library shows %q, which is not for this partner", hidden)
			}
		}

		// The PDF comes back byte for byte, as a download; the image inline.
		r = me.get("/portal/files/" + deck.FileID)
		if r.status != 200 || r.body != string(libPDF) {
			t.Fatalf("download = %d, %d bytes; want the exact %d bytes", r.status, len(r.body), len(libPDF))
		}
		if h := r.header; h.Get("Content-Type") != "application/pdf" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Disposition"), `filename="Sales deck.pdf"`) {
			t.Errorf("download headers = %v", h)
		}
		if r := me.get("/portal/files/" + logo.FileID); r.status != 200 || r.header.Get("Content-Type") != "image/png" ||
			!strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") || r.body != string(libPNG) {
			t.Errorf("image = %d %v", r.status, r.header)
		}

		// Marking as read is idempotent and shows the date.
		readPath := page + "/" + persona.ID + "/read"
		for range 2 {
			if r := me.post(readPath, nil); r.status != 303 || !strings.HasPrefix(r.location, page) {
				t.Fatalf("mark read = %d %q", r.status, r.location)
			}
		}
		if n := libCount(t, db, "resource_reads"); n != 1 {
			t.Errorf("%d reads stored; want 1", n)
		}
		if r := me.get(page); !strings.Contains(r.body, "Read on ") || !strings.Contains(r.body, "1 of 2") {
			t.Error("a read resource does not say when it was read")
		}

		// Another group's resource and another program's are not there.
		for _, tt := range []struct {
			method, path string
		}{
			{"GET", "/portal/files/" + goldOnly.FileID},
			{"POST", page + "/" + goldOnly.ID + "/read"},
			{"GET", "/portal/programs/" + theirs.ID + "/resources"},
			{"GET", "/portal/files/" + theirDeck.FileID},
			{"POST", "/portal/programs/" + theirs.ID + "/resources/" + theirDeck.ID + "/read"},
			{"POST", page + "/" + theirDeck.ID + "/read"},
			{"GET", "/portal/programs/prg_doesnotexist/resources"},
			{"GET", "/portal/files/fil_doesnotexist"},
		} {
			r := me.do(tt.method, tt.path, nil)
			if r.status != 404 || strings.Contains(r.body, "Their deck") || strings.Contains(r.body, "Gold secrets") {
				t.Errorf("%s %s = %d; want 404 showing nothing", tt.method, tt.path, r.status)
			}
		}
		if reads, _ := s.ReadResources(ctx, viewerPartnerID(t, a, "me@example.com"), theirs.ID); len(reads) != 0 {
			t.Errorf("reads in their program = %v", reads)
		}

		// The other partner sees its own library, none of ours.
		them := a.client()
		them.signIn(tandem.PrincipalPartner, "them@example.com", "password of them@example.com")
		if r := them.get("/portal/programs/" + theirs.ID + "/resources"); r.status != 200 || !strings.Contains(r.body, "Their deck") || strings.Contains(r.body, "Agency ops lead") {
			t.Errorf("their library = %d", r.status)
		}
		for _, path := range []string{page, "/portal/files/" + deck.FileID} {
			if r := them.get(path); r.status != 404 {
				t.Errorf("them: %s = %d; want 404", path, r.status)
			}
		}
		// An archived resource is gone for partners, file included.
		if err := s.ArchiveResource(ctx, deck.ID); err != nil {
			t.Fatal(err)
		}
		if r := me.get("/portal/files/" + deck.FileID); r.status != 404 {
			t.Errorf("file of an archived resource = %d; want 404", r.status)
		}
		// Business users have no business in the portal library.
		admin, _ := libOwner(t, a)
		if r := admin.get(page); r.status != 303 || !strings.HasPrefix(r.location, "/portal/login") {
			t.Errorf("owner opens the portal library = %d %q", r.status, r.location)
		}
	})
}

// viewerPartnerID returns the ID of the partner with the email.
func viewerPartnerID(t *testing.T, a *app, email string) string {
	t.Helper()
	ps, err := a.partners.FindPartners(context.Background(), tandem.PartnerFilter{Email: email})
	if err != nil || len(ps) != 1 {
		t.Fatalf("partner %s: %v", email, err)
	}
	return ps[0].ID
}

func TestPendingPartnerHasNoLibraryYet(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("wait", "me@example.com")
		ms, err := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: prog.ID})
		if err != nil || len(ms) != 1 {
			t.Fatal(ms, err)
		}
		if _, err := a.partners.SetMembershipStatus(ctx, ms[0].ID, tandem.MembershipSuspended, "paused"); err != nil {
			t.Fatal(err)
		}
		res := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceFile, Title: "Deck"}
		if err := sqldb.NewResourceService(db).CreateResource(ctx, res, &tandem.Upload{Name: "d.pdf", Data: libPDF}); err != nil {
			t.Fatal(err)
		}
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		if r := me.get("/portal/programs/" + prog.ID + "/resources"); r.status != 403 || !strings.Contains(r.body, "once your membership") {
			t.Errorf("suspended partner's library = %d", r.status)
		}
		if r := me.get("/portal/files/" + res.FileID); r.status != 404 {
			t.Errorf("suspended partner's file = %d", r.status)
		}
		if r := me.post("/portal/programs/"+prog.ID+"/resources/"+res.ID+"/read", nil); r.status != 404 {
			t.Errorf("suspended partner marks read = %d", r.status)
		}
	})
}

// The resource routes against every role: only those who manage programs
// may add or archive; everyone with a seat may look and download.
func TestResourceRoutesByRole(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		_, owner := libOwner(t, a)
		prog := a.partnerIn("roles", "p@example.com")
		s := sqldb.NewResourceService(db)
		clients := map[tandem.Role]*client{}
		for _, role := range []tandem.Role{tandem.RoleOwner, tandem.RoleAdmin, tandem.RoleManager, tandem.RoleFinance, tandem.RoleReadOnly} {
			email := string(role) + "@example.com"
			if role == tandem.RoleOwner {
				email = "owner@example.com"
			} else {
				a.user(owner.ID, email, role)
			}
			clients[role] = a.client()
			clients[role].signIn(tandem.PrincipalUser, email, "password of "+email)
		}
		page := "/admin/programs/" + prog.ID + "/resources"
		const ok, redirect, forbidden = 200, 303, 403
		for _, role := range []tandem.Role{tandem.RoleOwner, tandem.RoleAdmin, tandem.RoleManager, tandem.RoleFinance, tandem.RoleReadOnly} {
			res := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceFile, Title: "Deck for " + string(role)}
			if err := s.CreateResource(ctx, res, &tandem.Upload{Name: "d.pdf", Data: libPDF}); err != nil {
				t.Fatal(err)
			}
			canManage := role.Can(tandem.PermManagePrograms)
			want := map[bool]int{true: redirect, false: forbidden}[canManage]
			c := clients[role]
			for _, tt := range []struct {
				name string
				do   func() response
				want int
			}{
				{"GET library", func() response { return c.get(page) }, ok},
				{"GET admin file", func() response { return c.get("/admin/files/" + res.FileID) }, ok},
				{"POST add (multipart)", func() response {
					return c.libUpload(page, map[string]string{"kind": "file", "title": "New by " + string(role)}, "n.pdf", libPDF)
				}, want},
				{"POST add (urlencoded)", func() response {
					return c.post(page, url.Values{"kind": {"value_prop"}, "title": {"Pitch by " + string(role)}, "body": {"x"}})
				}, want},
				{"POST archive", func() response { return c.post(page+"/"+res.ID+"/archive", nil) }, want},
			} {
				r := tt.do()
				if r.status != tt.want {
					t.Errorf("%s as %s = %d; want %d", tt.name, role, r.status, tt.want)
				}
				if r.status == forbidden && !strings.Contains(r.body, fmt.Sprintf("Your role (%s) does not allow this.", role)) {
					t.Errorf("%s as %s: the refusal does not say why", tt.name, role)
				}
			}
			if r := c.get(page); strings.Contains(r.body, "Add a resource") != canManage || strings.Contains(r.body, ">Archive</button>") != canManage {
				t.Errorf("%s sees the add form or archive buttons: %v; want %v", role, !canManage, canManage)
			}
		}
		// Forbidden posts stored nothing: 3 roles × (1 seeded + 2 added) + 2 roles × 1 seeded.
		if n := libCount(t, db, "resources"); n != 11 {
			t.Errorf("%d resources; want 11", n)
		}
		// Partners and strangers have no business here.
		partner := a.client()
		partner.signIn(tandem.PrincipalPartner, "p@example.com", "password of p@example.com")
		if r := partner.libUpload(page, map[string]string{"kind": "file", "title": "x"}, "x.pdf", libPDF); r.status != http.StatusUnauthorized {
			t.Errorf("partner adds a resource = %d; want 401", r.status)
		}
		if r := a.client().get(page); r.status != redirect || !strings.HasPrefix(r.location, "/login") {
			t.Errorf("stranger opens the library = %d %q", r.status, r.location)
		}
	})
}
