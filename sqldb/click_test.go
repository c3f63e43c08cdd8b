package sqldb_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// clickFixture is a program in New York with an approved partner's link and
// a suspended partner's link.
func clickFixture(t testing.TB, db *sqldb.DB) (prog *tandem.Program, approved, suspended *tandem.Link) {
	t.Helper()
	ctx := context.Background()
	prog = &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", TimeZone: "America/New_York",
		DestinationURL: "https://www.acme.example/"}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		t.Fatal(err)
	}
	ok := resMember(t, db, prog.ID, "ok@example.com", tandem.MembershipApproved, "")
	approved, err := sqldb.NewLinkService(db).CreateLink(ctx, ok.ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
	if err != nil {
		t.Fatal(err)
	}
	bad := resMember(t, db, prog.ID, "bad@example.com", tandem.MembershipSuspended, "")
	suspended = &tandem.Link{ID: tandem.NewID(tandem.PrefixLink), Code: "susp-link", ProgramID: prog.ID, PartnerID: bad.ID}
	resExec(t, db, `INSERT INTO links (id, code, program_id, partner_id, channel, is_default, created_at) VALUES ($1, $2, $3, $4, 'email', false, 0)`,
		suspended.ID, suspended.Code, prog.ID, bad.ID)
	return prog, approved, suspended
}

type clickRow struct {
	programID, partnerID, visitor string
	at                            int64
	bot, unique, attributable     bool
}

func clickRows(t *testing.T, db *sqldb.DB) map[string]clickRow {
	t.Helper()
	out := map[string]clickRow{}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT id, program_id, partner_id, visitor, occurred_at, bot, is_unique, attributable FROM clicks`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var r clickRow
			if err := rows.Scan(&id, &r.programID, &r.partnerID, &r.visitor, &r.at, &r.bot, &r.unique, &r.attributable); err != nil {
				return err
			}
			out[id] = r
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rollups returns "day clicks/unique/bots" by link.
func rollups(t *testing.T, db *sqldb.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT link_id, day, clicks, unique_clicks, bot_clicks FROM click_rollups ORDER BY link_id, day`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, day string
			var c, u, b int64
			if err := rows.Scan(&id, &day, &c, &u, &b); err != nil {
				return err
			}
			out[id] = append(out[id], fmt.Sprintf("%s %d/%d/%d", day, c, u, b))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInsertClicks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog, link, susp := clickFixture(t, db)
		store := sqldb.NewClickStore(db)
		// 15:00 UTC on 10 January is 10:00 in New York.
		t0 := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
		click := func(id, linkID, visitor string, at time.Time, bot bool) clicks.Click {
			return clicks.Click{ID: id, LinkID: linkID, Visitor: visitor, At: at, Bot: bot, UserAgent: "UA " + id,
				Referrer: "https://blog.example/", LandingURL: "https://www.acme.example/?tandem_click=" + id}
		}
		for _, batch := range [][]clicks.Click{
			{click("a1", link.ID, "va", t0, false)},
			{click("a2", link.ID, "va", t0.Add(59*time.Minute+59*time.Second), false)}, // inside the hour: counts once
			{click("b1", link.ID, "vb", t0, false)},
			{click("b2", link.ID, "vb", t0.Add(time.Hour), false)}, // a full hour later: unique again
			// In one batch: the second sees the first.
			{click("c1", link.ID, "vc", t0, false), click("c2", link.ID, "vc", t0.Add(time.Second), false)},
			// A bot is neither unique nor attributable, and does not hide the person after it.
			{click("d1", link.ID, "vd", t0, true), click("d2", link.ID, "vd", t0.Add(time.Second), false)},
			// Another link of the same visitor is another unique click; a suspended partner's never attributes.
			{click("e1", susp.ID, "va", t0, false)},
		} {
			if err := store.InsertClicks(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string][3]bool{ // bot, unique, attributable
			"a1": {false, true, true}, "a2": {false, false, true},
			"b1": {false, true, true}, "b2": {false, true, true},
			"c1": {false, true, true}, "c2": {false, false, true},
			"d1": {true, false, false}, "d2": {false, true, true},
			"e1": {false, true, false},
		}
		rows := clickRows(t, db)
		if len(rows) != len(want) {
			t.Fatalf("%d click rows; want %d", len(rows), len(want))
		}
		for id, w := range want {
			r := rows[id]
			if got := [3]bool{r.bot, r.unique, r.attributable}; got != w {
				t.Errorf("click %s: bot, unique, attributable = %v; want %v", id, got, w)
			}
			if r.programID != prog.ID || r.at < t0.UnixMilli() {
				t.Errorf("click %s = %+v", id, r)
			}
		}
		if rows["e1"].partnerID != susp.PartnerID || rows["a1"].partnerID != link.PartnerID {
			t.Error("clicks do not carry their link's partner")
		}
		got := rollups(t, db)
		if fmt.Sprint(got[link.ID]) != "[2026-01-10 7/5/1]" || fmt.Sprint(got[susp.ID]) != "[2026-01-10 1/1/0]" {
			t.Errorf("rollups = %v", got)
		}

		// A duplicate ID fails the whole batch: nothing of it is kept.
		if err := store.InsertClicks(ctx, []clicks.Click{click("f1", link.ID, "vf", t0, false), click("a1", link.ID, "vf", t0, false)}); err == nil {
			t.Error("a batch with a taken ID was stored")
		}
		if n := len(clickRows(t, db)); n != len(want) {
			t.Errorf("%d rows after a failed batch", n)
		}
		if fmt.Sprint(rollups(t, db)[link.ID]) != "[2026-01-10 7/5/1]" {
			t.Errorf("rollups moved with a failed batch: %v", rollups(t, db))
		}
		if err := store.InsertClicks(ctx, []clicks.Click{click("g1", "lnk_nope", "vg", t0, false)}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("click on an unknown link = %v", err)
		}

		// The links' stats are their unique clicks.
		ls, err := sqldb.NewLinkService(db).FindLinks(ctx, tandem.LinkFilter{ProgramID: prog.ID})
		if err != nil {
			t.Fatal(err)
		}
		stats := map[string]int64{}
		for _, l := range ls {
			stats[l.ID] = l.Stats.Clicks
		}
		if stats[link.ID] != 5 || stats[susp.ID] != 1 {
			t.Errorf("stats = %v", stats)
		}
		if l, err := sqldb.NewLinkService(db).FindLinkByCode(ctx, link.Code); err != nil || l.Stats.Clicks != 5 {
			t.Errorf("FindLinkByCode stats = %+v, %v", l, err)
		}
	})
}

func TestClickRollupDaysFollowTheProgramTimeZone(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, link, _ := clickFixture(t, db)
		store := sqldb.NewClickStore(db)
		midnight := time.Date(2026, 1, 10, 5, 0, 0, 0, time.UTC) // 00:00 in New York (EST)
		for i, at := range []time.Time{midnight.Add(-time.Millisecond), midnight, midnight.Add(23*time.Hour + 59*time.Minute)} {
			c := clicks.Click{ID: fmt.Sprint("clk_", i), LinkID: link.ID, Visitor: fmt.Sprint("v", i), At: at}
			if err := store.InsertClicks(context.Background(), []clicks.Click{c}); err != nil {
				t.Fatal(err)
			}
		}
		if got := fmt.Sprint(rollups(t, db)[link.ID]); got != "[2026-01-09 1/1/0 2026-01-10 2/2/0]" {
			t.Errorf("rollups = %s", got)
		}
	})
}

func TestClickRollupsExactUnderConcurrentClicks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, link, _ := clickFixture(t, db)
		store := sqldb.NewClickStore(db)
		secret, err := store.VisitorSecret(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		w := clicks.NewWriter(store, secret, clicks.Options{MaxBatch: 16})
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Go(func() {
				// 40 visitors, 10 of whom click twice; every fifth click of the first ten is a bot.
				c := clicks.Click{ID: tandem.NewID(tandem.PrefixClick), LinkID: link.ID,
					Visitor: w.VisitorKey(time.Now(), fmt.Sprintf("198.51.%d.1:1000", i%40), "Mozilla/5.0"), Bot: i < 10 && i%5 == 0}
				errs <- w.Record(context.Background(), c)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		rows := clickRows(t, db)
		var people, unique, bots int
		for _, r := range rows {
			switch {
			case r.bot:
				bots++
			case r.unique:
				unique++
				people++
			default:
				people++
			}
		}
		if len(rows) != 50 || bots != 2 || unique != 40 {
			t.Errorf("%d rows, %d unique, %d bots; want 50, 40, 2", len(rows), unique, bots)
		}
		got := rollups(t, db)[link.ID]
		var c, u, b int
		for _, s := range got {
			var day string
			var dc, du, db int
			fmt.Sscanf(s, "%s %d/%d/%d", &day, &dc, &du, &db)
			c, u, b = c+dc, u+du, b+db
		}
		if c != people || u != unique || b != bots {
			t.Errorf("rollups %v; rows have %d clicks, %d unique, %d bots", got, people, unique, bots)
		}
	})
}

func TestVisitorSecret(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a, err := sqldb.NewClickStore(db).VisitorSecret(context.Background())
		if err != nil || len(a) < 32 {
			t.Fatalf("secret = %x, %v", a, err)
		}
		b, err := sqldb.NewClickStore(db).VisitorSecret(context.Background())
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("second read = %x, %v; want the same secret", b, err)
		}
	})
}

// On SQLite the read of a batch's click windows looks each pair up by
// click_windows' primary key (no scan): it runs in the writer's
// transaction, which every redirect waits for.
func TestClickWindowsReadByPrimaryKey(t *testing.T) {
	t.Parallel()
	db := sqldbtest.Open(t, sqldb.SQLite)
	var plan []string
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query("EXPLAIN QUERY PLAN "+sqldb.ClickWindowsQuery(2), "v1", "l1", "v2", "l2")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			plan = append(plan, detail)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(plan, func(d string) bool {
		return strings.Contains(d, "SEARCH w USING PRIMARY KEY (visitor=? AND link_id=?)")
	}) {
		t.Errorf("plan = %q; want a search of click_windows by its primary key", plan)
	}
}

// A batch larger than one statement's worth (PostgreSQL inserts 200 rows
// per statement) stores every click once, in the rollups of both its
// links, with the uniqueness of each visitor's later clicks seen.
func TestInsertClicksLargeBatch(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, link, susp := clickFixture(t, db)
		t0 := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
		var batch []clicks.Click
		for i := range 450 {
			// Visitors 0 to 199 click twice (i and i + 200) within minutes,
			// visitors 1000 to 1049 once; a visitor keeps to one link.
			v := i%200 + i/400*1000
			l := link.ID
			if v%3 == 0 {
				l = susp.ID
			}
			batch = append(batch, clicks.Click{ID: fmt.Sprintf("clk_%03d", i), LinkID: l, Visitor: fmt.Sprint("v", v),
				At: t0.Add(time.Duration(i) * time.Second)})
		}
		if err := sqldb.NewClickStore(db).InsertClicks(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		rows := clickRows(t, db)
		unique := 0
		for _, r := range rows {
			if r.unique {
				unique++
			}
		}
		if len(rows) != 450 || unique != 250 {
			t.Errorf("%d rows, %d unique; want 450, 250", len(rows), unique)
		}
		got := rollups(t, db)
		var clicksSum, uniqueSum int
		for _, days := range got {
			for _, d := range days {
				var day string
				var c, u, b int
				fmt.Sscanf(d, "%s %d/%d/%d", &day, &c, &u, &b)
				clicksSum, uniqueSum = clicksSum+c, uniqueSum+u
			}
		}
		if len(got) != 2 || clicksSum != 450 || uniqueSum != 250 {
			t.Errorf("rollups = %v; want 450 clicks, 250 unique over both links", got)
		}
	})
}
