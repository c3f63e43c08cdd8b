package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// Charts and recent counts follow the program's calendar: its days, the
// last 30 of them for RecentClicks, every day of the span present.
func TestClickChartAndRecentClicks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		prog := &tandem.Program{Name: "Oslo", Slug: "oslo", Type: tandem.ProgramReferral, Currency: "NOK", TimeZone: "Europe/Oslo",
			DestinationURL: "https://www.oslo.example/"}
		if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		links := sqldb.NewLinkService(db)
		jane := resMember(t, db, prog.ID, "jane@example.com", tandem.MembershipApproved, "")
		ola := resMember(t, db, prog.ID, "ola@example.com", tandem.MembershipApproved, "")
		janeLink, olaLink := defaultLinkOf(t, db, jane.ID, prog.ID), defaultLinkOf(t, db, ola.ID, prog.ID)
		at := func(l *tandem.Link, t time.Time, visitor string, bot bool) clicks.Click {
			return clicks.Click{ID: tandem.NewID(tandem.PrefixClick), LinkID: l.ID, At: t, Visitor: visitor, Bot: bot}
		}
		if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{
			at(janeLink, time.Date(2026, 2, 8, 12, 0, 0, 0, time.UTC), "a", false),   // 30 days before today: not recent
			at(janeLink, time.Date(2026, 2, 9, 12, 0, 0, 0, time.UTC), "b", false),   // 29 days before: recent
			at(janeLink, time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC), "c", false),  // 10 March in Oslo: today
			at(janeLink, time.Date(2026, 3, 9, 23, 40, 0, 0, time.UTC), "c", false),  // a repeat
			at(janeLink, time.Date(2026, 3, 9, 23, 50, 0, 0, time.UTC), "bot", true), // a bot
			at(olaLink, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), "d", false),
		}); err != nil {
			t.Fatal(err)
		}

		ls, err := links.FindLinks(ctx, tandem.LinkFilter{ProgramID: prog.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]tandem.LinkStats{}
		for _, l := range ls {
			got[l.ID] = l.Stats
		}
		if s := got[janeLink.ID]; s.Clicks != 3 || s.RecentClicks != 2 {
			t.Errorf("jane's link: %+v; want 3 unique clicks, 2 of them recent", s)
		}
		if s := got[olaLink.ID]; s.Clicks != 1 || s.RecentClicks != 1 {
			t.Errorf("ola's link: %+v; want 1 and 1", s)
		}

		days, err := links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: prog.ID, Days: 30})
		if err != nil || len(days) != 30 {
			t.Fatalf("chart = %d days, %v", len(days), err)
		}
		oslo, _ := time.LoadLocation("Europe/Oslo")
		if first, last := days[0].Day, days[29].Day; !first.Equal(time.Date(2026, 2, 9, 0, 0, 0, 0, oslo)) || !last.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, oslo)) {
			t.Errorf("chart spans %s to %s; want 9 February to 10 March in Oslo", first, last)
		}
		want := map[int]tandem.ClickDay{0: {Clicks: 1, Unique: 1}, 20: {Clicks: 1, Unique: 1}, 29: {Clicks: 2, Unique: 1, Bots: 1}}
		for i, d := range days {
			w := want[i]
			if d.Clicks != w.Clicks || d.Unique != w.Unique || d.Bots != w.Bots {
				t.Errorf("day %d (%s) = %+v; want %+v", i, d.Day.Format(time.DateOnly), d, w)
			}
		}
		// One partner's links only; the default span is 90 days.
		days, err = links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: prog.ID, PartnerID: ola.ID})
		var sum int64
		for _, d := range days {
			sum += d.Clicks
		}
		if err != nil || len(days) != tandem.ChartDays || sum != 1 {
			t.Errorf("ola's chart = %d days, %d clicks, %v; want 90 days and 1", len(days), sum, err)
		}

		for _, bad := range []struct {
			f    tandem.ClickChartFilter
			code string
		}{
			{tandem.ClickChartFilter{ProgramID: prog.ID, Days: -1}, tandem.EINVALID},
			{tandem.ClickChartFilter{ProgramID: prog.ID, Days: 367}, tandem.EINVALID},
			{tandem.ClickChartFilter{ProgramID: "prg_nope"}, tandem.ENOTFOUND},
		} {
			if _, err := links.ClickChart(ctx, bad.f); tandem.ErrorCode(err) != bad.code {
				t.Errorf("chart %+v = %v; want %s", bad.f, err, bad.code)
			}
		}
	})
}

// defaultLinkOf returns the partner's default link in the program.
func defaultLinkOf(t *testing.T, db *sqldb.DB, partnerID, programID string) *tandem.Link {
	t.Helper()
	ls, err := sqldb.NewLinkService(db).FindLinks(context.Background(), tandem.LinkFilter{PartnerID: partnerID, ProgramID: programID})
	if err != nil || len(ls) == 0 || !ls[0].IsDefault {
		t.Fatalf("default link of %s: %d links, %v", partnerID, len(ls), err)
	}
	return ls[0]
}
