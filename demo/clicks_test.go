package demo

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

// The demo's traffic is the same every time for the same links and day,
// and has the shape of real traffic.
func TestPlanClicks(t *testing.T) {
	t.Parallel()
	p := &tandem.Program{ID: "prg_a", DestinationURL: "https://www.fjordline.example/", AllowedDomains: []string{"www.fjordline.example"}}
	links := []trafficLink{
		{link: &tandem.Link{ID: "lnk_a", Channel: tandem.ChannelLinkedIn}, program: p, weight: 3},
		{link: &tandem.Link{ID: "lnk_b", Channel: tandem.ChannelNewsletter}, program: p, weight: 1},
	}
	now := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)
	plan := func() []clickPlan {
		var out []clickPlan
		for _, c := range planClicks(rand.New(rand.NewPCG(clickSeed, clickSeed)), links, now) {
			out = append(out, clickPlan{c.LinkID, c.At, c.Visitor, c.UserAgent, c.Bot})
		}
		return out
	}
	first := plan()
	if !reflect.DeepEqual(first, plan()) {
		t.Fatal("two plans from one seed differ")
	}
	if len(first) < 2000 || len(first) > 6000 {
		t.Errorf("%d clicks; want a few thousand", len(first))
	}
	var bots, repeats, weekday, weekend, lnkA int
	lastSeen := map[[2]string]time.Time{}
	for i, c := range first {
		if c.at.After(now) || c.at.Before(now.AddDate(0, 0, -clickDays)) {
			t.Fatalf("click at %s is outside the 90 days before %s", c.at, now)
		}
		if i > 0 && c.at.Before(first[i-1].at) {
			t.Fatalf("click %d is before the one ahead of it", i)
		}
		if c.bot {
			bots++
			continue
		}
		k := [2]string{c.link, c.visitor}
		if seen, ok := lastSeen[k]; ok && c.at.Sub(seen) <= time.Hour {
			repeats++
		}
		lastSeen[k] = c.at
		if wd := c.at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
		if c.link == "lnk_a" {
			lnkA++
		}
	}
	n := len(first)
	t.Logf("%d clicks: %d bots, %d repeats within the hour, %d on weekdays, %d on weekends", n, bots, repeats, weekday, weekend)
	if bots == 0 || bots > n/10 {
		t.Errorf("%d bot clicks of %d; want a few", bots, n)
	}
	if repeats < n/10 || repeats > n/2 {
		t.Errorf("%d repeat visits within the hour of %d; want a good share", repeats, n)
	}
	if weekday/5 < 2*weekend/2 { // a weekday has over twice a weekend day's clicks
		t.Errorf("%d weekday and %d weekend clicks; want quiet weekends", weekday, weekend)
	}
	if lnkA < 2*(n-bots-lnkA) {
		t.Errorf("the link of weight 3 has %d of %d human clicks; want about three quarters", lnkA, n-bots)
	}
}

// clickPlan is what TestPlanClicks compares of a planned click.
type clickPlan struct {
	link    string
	at      time.Time
	visitor string
	ua      string
	bot     bool
}
