package http_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

const browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"

// clickOf returns a recorded click's landing URL, bot and attributable flags.
func clickOf(t *testing.T, db *sqldb.DB, id string) (landing string, bot, attributable bool) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT landing_url, bot, attributable FROM clicks WHERE id = $1`, id).Scan(&landing, &bot, &attributable)
	}); err != nil {
		t.Fatalf("click %s: %v", id, err)
	}
	return landing, bot, attributable
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "me@example.com")
		linkProgram(t, a, prog)
		ps, err := a.partners.FindPartners(ctx, tandem.PartnerFilter{})
		if err != nil || len(ps) != 1 {
			t.Fatalf("partners = %v, %v", ps, err)
		}
		links := sqldb.NewLinkService(db)
		l, err := links.CreateLink(ctx, ps[0].ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelNewsletter,
			Destination: "https://shop.acme.example/pricing?plan=pro", UTM: tandem.UTM{Source: "me"}})
		if err != nil {
			t.Fatal(err)
		}
		visitor := a.client()

		// A person: 302 to the target with the click ID, after the click is stored.
		r := visitor.get("/r/"+l.Code, "User-Agent", browserUA, "Referer", "https://blog.example/post")
		prefix := "https://shop.acme.example/pricing?plan=pro&utm_source=me&tandem_click="
		if r.status != http.StatusFound || !strings.HasPrefix(r.location, prefix) {
			t.Fatalf("redirect = %d to %q", r.status, r.location)
		}
		id := strings.TrimPrefix(r.location, prefix)
		if !tandem.HasPrefix(id, tandem.PrefixClick) {
			t.Fatalf("click id %q", id)
		}
		if landing, bot, attr := clickOf(t, db, id); landing != r.location || bot || !attr {
			t.Errorf("click = %q bot %v attributable %v", landing, bot, attr)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Cache-Control") != "no-store" || r.header.Get("Set-Cookie") != "" {
			t.Errorf("headers = %v", r.header)
		}

		// Again within the hour: recorded, not unique. A bot: recorded, never counted.
		if r := visitor.get("/r/"+l.Code, "User-Agent", browserUA); r.status != http.StatusFound {
			t.Errorf("second click = %d", r.status)
		}
		r = visitor.get("/r/"+l.Code, "User-Agent", "curl/8.5.0")
		if r.status != http.StatusFound {
			t.Fatalf("bot click = %d", r.status)
		}
		if _, bot, attr := clickOf(t, db, r.location[strings.LastIndex(r.location, "=")+1:]); !bot || attr {
			t.Errorf("bot click: bot %v attributable %v", bot, attr)
		}
		if n := libCount(t, db, "clicks"); n != 3 {
			t.Errorf("%d clicks; want 3", n)
		}

		// The partner sees one unique click on the link.
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		page := me.get("/portal/programs/" + prog.ID + "/links")
		if page.status != 200 || !strings.Contains(page.body, `<div class="n">1</div><div class="l">Clicks</div>`) {
			t.Errorf("links page does not show 1 click: %d", page.status)
		}

		// Unknown, malformed and archived codes: the friendly page, nothing recorded.
		archived, err := links.CreateLink(ctx, ps[0].ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := links.ArchiveLink(ctx, ps[0].ID, archived.ID); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"nope-nope", "ab", strings.Repeat("a", 33), "a%20bcd", "caf%C3%A9s", archived.Code} {
			r := visitor.get("/r/"+code, "User-Agent", browserUA)
			if r.status != http.StatusNotFound || !strings.Contains(r.body, "This link does not exist or is no longer active.") {
				t.Errorf("/r/%s = %d", code, r.status)
			}
		}
		if n := libCount(t, db, "clicks"); n != 3 {
			t.Errorf("%d clicks after dead links; want 3", n)
		}

		// A suspended partner's link still redirects, but never attributes.
		libExec(t, db, `UPDATE memberships SET status = 'suspended' WHERE partner_id = $1`, ps[0].ID)
		r = visitor.get("/r/"+l.Code, "User-Agent", browserUA)
		if r.status != http.StatusFound {
			t.Fatalf("suspended partner's link = %d", r.status)
		}
		if _, bot, attr := clickOf(t, db, r.location[strings.LastIndex(r.location, "=")+1:]); bot || attr {
			t.Errorf("suspended partner's click: bot %v attributable %v", bot, attr)
		}
	})
}
