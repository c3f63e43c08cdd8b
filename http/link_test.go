package http_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"rsc.io/qr"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// linkProgram gives a test program a destination and a deep-link domain.
func linkProgram(t *testing.T, a *app, p *tandem.Program) {
	t.Helper()
	p.DestinationURL, p.AllowedDomains = "https://www.acme.example/", []string{"shop.acme.example"}
	if err := a.programs.UpdateProgram(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

var shortURLPattern = regexp.MustCompile(`http://127\.0\.0\.1/r/([A-Za-z0-9_-]+)`)

func TestPortalLinks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "me@example.com")
		linkProgram(t, a, prog)
		links := sqldb.NewLinkService(db)
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		page := "/portal/programs/" + prog.ID + "/links"

		// Approval (automatic here) made the default link.
		if ls, _ := links.FindLinks(ctx, tandem.LinkFilter{ProgramID: prog.ID}); len(ls) != 1 || !ls[0].IsDefault {
			t.Fatalf("links after approval = %d; want the default one", len(ls))
		}

		// New terms: the page says what to do and writes nothing.
		v, err := sqldb.NewAgreementService(db).PublishAgreement(ctx, prog.ID, "Terms", "Be nice.")
		if err != nil {
			t.Fatal(err)
		}
		if r := me.get(page); r.status != http.StatusForbidden || !strings.Contains(r.body, `href="/portal/programs/`+prog.ID+`/agreement"`) ||
			!strings.Contains(r.body, "Accept the partner agreement first") {
			t.Errorf("links before accepting = %d", r.status)
		}
		if r := me.post(page, url.Values{"channel": {"email"}}); r.status != http.StatusForbidden {
			t.Errorf("create before accepting = %d; want 403", r.status)
		}
		if n := libCount(t, db, "links"); n != 1 {
			t.Fatalf("%d links before the terms were accepted; want the default one of approval", n)
		}
		if r := me.post("/portal/programs/"+prog.ID+"/agreement", url.Values{"version_id": {v.ID}, "accept": {"yes"}, "full_name": {"Me Myself"}}); r.status != http.StatusSeeOther {
			t.Fatalf("accept = %d", r.status)
		}

		// The page shows the default link, and visits make no other.
		r := me.get(page)
		if r.status != 200 || !strings.Contains(r.body, "Default") || !strings.Contains(r.body, "Leads to https://www.acme.example/") {
			t.Fatalf("links page = %d: %s", r.status, r.body)
		}
		for _, want := range []string{"https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2F127.0.0.1%2Fr%2F", "https://twitter.com/intent/tweet?url=",
			"https://www.linkedin.com/sharing/share-offsite/?url=", "mailto:?body=", "data-copy=", "/qr.png", "/qr.svg", "links.js", ">Clicks<", ">Referrals<"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("links page lacks %q", want)
			}
		}
		me.get(page)
		ls, _ := links.FindLinks(ctx, tandem.LinkFilter{ProgramID: prog.ID})
		if len(ls) != 1 || !ls[0].IsDefault {
			t.Fatalf("links after two visits = %d; want the one default", len(ls))
		}
		def := ls[0]
		if m := shortURLPattern.FindStringSubmatch(r.body); m == nil || m[1] != def.Code {
			t.Errorf("page shows short URL %v; want code %s", m, def.Code)
		}
		// The checklist counts it, and copy resources use it.
		if r := me.get("/portal/programs/" + prog.ID); !strings.Contains(r.body, "Getting started: 2 of 3 done") {
			t.Errorf("checklist does not count the link")
		}
		if err := sqldb.NewResourceService(db).CreateResource(ctx, &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceCopy,
			Title: "Post", Body: "Try Acme: {link}"}, nil); err != nil {
			t.Fatal(err)
		}
		if r := me.get("/portal/programs/" + prog.ID + "/resources"); !strings.Contains(r.body, "Try Acme: http://127.0.0.1/r/"+def.Code) {
			t.Errorf("copy does not carry the default link")
		}

		// Create: a newsletter deep link with UTM, and a vanity code.
		r = me.post(page, url.Values{"channel": {"newsletter"}, "label": {"Spring issue"}, "destination": {"https://shop.acme.example/p/1?x=1"},
			"code": {"me-spring"}, "utm_source": {"me"}, "utm_campaign": {"spring"}})
		if r.status != http.StatusSeeOther || r.location != page {
			t.Fatalf("create = %d %q: %s", r.status, r.location, r.body)
		}
		r = me.get(page)
		if !strings.Contains(r.body, "http://127.0.0.1/r/me-spring") || !strings.Contains(r.body, "Leads to https://shop.acme.example/p/1?x=1&amp;utm_source=me&amp;utm_campaign=spring") {
			t.Errorf("new link not shown with its target")
		}

		// Bad input: a clear answer next to the field, nothing written.
		for _, tt := range []struct {
			form   url.Values
			status int
			field  string
			says   string
		}{
			{url.Values{"channel": {"email"}, "destination": {"https://evil.example/"}}, 400, "destination", "shop.acme.example"},
			{url.Values{"channel": {"email"}, "destination": {"javascript:alert(1)"}}, 400, "destination", "shop.acme.example"},
			{url.Values{"channel": {"email"}, "code": {"no way!"}}, 400, "code", "only letters"},
			{url.Values{"channel": {"email"}, "code": {strings.Repeat("a", 33)}}, 400, "code", "4 to 32"},
			{url.Values{"channel": {"email"}, "code": {"admin"}}, 400, "code", "reserved"},
			{url.Values{"channel": {"email"}, "code": {"ME-SPRING"}}, 409, "code", "is taken"},
			{url.Values{"channel": {"custom"}}, 400, "label", "label"},
			{url.Values{"channel": {"myspace"}}, 400, "channel", "Channel must be"},
		} {
			r := me.post(page, tt.form)
			if r.status != tt.status || !strings.Contains(r.body, `aria-describedby="e-`+tt.field+`"`) || !strings.Contains(r.body, tt.says) {
				t.Errorf("create %v = %d; want %d with an error on %s saying %q", tt.form, r.status, tt.status, tt.field, tt.says)
			}
		}
		if n := libCount(t, db, "links"); n != 2 {
			t.Errorf("%d links after bad input; want 2", n)
		}

		// QR codes: a PNG of the right size, well-formed SVG.
		r = me.get("/portal/links/" + def.ID + "/qr.png")
		img, err := png.Decode(strings.NewReader(r.body))
		if r.status != 200 || r.header.Get("Content-Type") != "image/png" || err != nil {
			t.Fatalf("qr.png = %d %s, %v", r.status, r.header.Get("Content-Type"), err)
		}
		want, _ := qr.Encode("http://127.0.0.1/r/"+def.Code, qr.M)
		if b := img.Bounds(); b.Dx() != (want.Size+8)*8 || b.Dy() != b.Dx() {
			t.Errorf("qr.png is %v; want %d square", b, (want.Size+8)*8)
		}
		r = me.get("/portal/links/" + def.ID + "/qr.svg")
		if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("qr.svg = %d %s", r.status, r.header.Get("Content-Type"))
		}
		var svg struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
			Path    struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		}
		dec := xml.NewDecoder(bytes.NewReader([]byte(r.body)))
		if err := dec.Decode(&svg); err != nil || svg.XMLName.Local != "svg" || svg.Path.D == "" || strings.Contains(r.body, "script") {
			t.Errorf("qr.svg is not a well-formed SVG: %v", err)
		}
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("qr.svg: %v", err)
				}
				break
			}
		}

		// Archive: the default link stays; another link goes.
		if r := me.post("/portal/links/"+def.ID+"/archive", nil); r.status != 400 {
			t.Errorf("archive default = %d; want 400", r.status)
		}
		spring, err := links.FindLinkByCode(ctx, "me-spring")
		if err != nil {
			t.Fatal(err)
		}
		if r := me.post("/portal/links/"+spring.ID+"/archive", nil); r.status != http.StatusSeeOther {
			t.Errorf("archive = %d", r.status)
		}
		if r := me.get(page); strings.Contains(r.body, `value="http://127.0.0.1/r/me-spring"`) || !strings.Contains(r.body, "Link archived") {
			t.Error("an archived link is still listed")
		}
		if r := me.get("/portal/links"); r.status != http.StatusSeeOther || r.location != page {
			t.Errorf("/portal/links with one program = %d %q", r.status, r.location)
		}
	})
}

// A partner sees and touches only its own links; pending and suspended
// partners have none.
func TestPortalLinksIsolation(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		mine := a.partnerIn("mine", "me@example.com")
		theirs := a.partnerIn("theirs", "them@example.com")
		links := sqldb.NewLinkService(db)
		theirLink, err := links.EnsureDefaultLink(ctx, viewerPartnerID(t, a, "them@example.com"), theirs.ID)
		if err != nil {
			t.Fatal(err)
		}
		other, err := links.CreateLink(ctx, viewerPartnerID(t, a, "them@example.com"), theirs.ID, tandem.LinkInput{Label: "Theirs", Code: "their-code"})
		if err != nil {
			t.Fatal(err)
		}
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		if r := me.get("/portal/programs/" + mine.ID + "/links"); r.status != 200 || strings.Contains(r.body, theirLink.Code) {
			t.Errorf("own links page = %d", r.status)
		}
		for _, path := range []string{"/portal/programs/" + theirs.ID + "/links", "/portal/programs/prg_doesnotexist/links",
			"/portal/links/" + theirLink.ID + "/qr.png", "/portal/links/" + theirLink.ID + "/qr.svg", "/portal/links/lnk_nope/qr.png"} {
			if r := me.get(path); r.status != 404 || strings.Contains(r.body, theirLink.Code) {
				t.Errorf("GET %s = %d; want 404 with nothing of theirs", path, r.status)
			}
		}
		if r := me.post("/portal/programs/"+theirs.ID+"/links", url.Values{"channel": {"email"}}); r.status != 404 {
			t.Errorf("create in their program = %d; want 404", r.status)
		}
		if r := me.post("/portal/links/"+other.ID+"/archive", nil); r.status != 404 {
			t.Errorf("archive their link = %d; want 404", r.status)
		}
		if l, _ := links.FindLinkByID(ctx, other.ID); !l.ArchivedAt.IsZero() {
			t.Error("their link was archived by me")
		}

		// Pending and suspended memberships: 403, nothing created.
		ms, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: mine.ID})
		if _, err := a.partners.SetMembershipStatus(ctx, ms[0].ID, tandem.MembershipSuspended, "Paid search on our brand"); err != nil {
			t.Fatal(err)
		}
		before := libCount(t, db, "links")
		if r := me.get("/portal/programs/" + mine.ID + "/links"); r.status != 403 || !strings.Contains(r.body, "suspended") {
			t.Errorf("suspended links page = %d", r.status)
		}
		if r := me.post("/portal/programs/"+mine.ID+"/links", url.Values{"channel": {"email"}}); r.status != 403 {
			t.Errorf("suspended create = %d", r.status)
		}
		if n := libCount(t, db, "links"); n != before {
			t.Errorf("links written for a suspended partner")
		}
		// Signed-out visitors and business users go to the partner sign-in.
		if r := a.client().get("/portal/links/" + theirLink.ID + "/qr.png"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/portal/login") {
			t.Errorf("signed-out QR = %d %q", r.status, r.location)
		}
	})
}
