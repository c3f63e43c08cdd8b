package demo

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/bot"
	"github.com/tandem-prm/tandem/clicks"
)

// The demo's clicks: three months of them on every demo link, written
// through the click store (clicks.Store, the writer's store) with their
// times in the past, so that the rollups, charts and counts are made by the
// same code as a real redirect's. They are drawn from a fixed seed: the
// same demo gets the same traffic, relative to the day it is loaded.

// clickSeed seeds the demo's traffic.
const clickSeed = 20261125

// Traffic shape.
const (
	clickDays     = 90   // spread over the last 90 days
	dailyClicks   = 26.0 // a weekday's clicks at the start, before growth
	growth        = 0.8  // the last day has 80% more than the first
	repeatChance  = 0.22 // a click is the previous visitor coming back within the hour
	botChance     = 0.04
	clickBatch    = 256 // clicks per transaction, as the writer's batches
	demoVisitorIP = "203.0.113."
)

// weekdayShape is how busy each day of the week is (B2B: quiet weekends).
var weekdayShape = [7]float64{time.Sunday: 0.35, time.Monday: 1.1, time.Tuesday: 1.2, time.Wednesday: 1.1,
	time.Thursday: 1.0, time.Friday: 0.8, time.Saturday: 0.45}

// hourShape is how busy each hour of the day is (UTC: Europe's and
// America's working hours overlap in the afternoon).
var hourShape = [24]float64{1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 1}

var (
	browserAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	}
	botAgents = []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"curl/8.5.0",
	}
	channelReferrers = map[tandem.LinkChannel]string{
		tandem.ChannelFacebook: "https://www.facebook.com/", tandem.ChannelLinkedIn: "https://www.linkedin.com/",
		tandem.ChannelX: "https://t.co/", tandem.ChannelNewsletter: "", tandem.ChannelEmail: "",
	}
)

// trafficLink is a demo link with what its clicks need.
type trafficLink struct {
	link    *tandem.Link
	program *tandem.Program
	weight  float64 // its share of the traffic
	key     string  // a stable sort key: IDs are random, and so is their order
}

// addClicks writes the demo's clicks on every link of the programs.
func addClicks(ctx context.Context, s Services, programs []*tandem.Program, now time.Time) (int, error) {
	partners, err := s.Partners.FindPartners(ctx, tandem.PartnerFilter{Limit: 1000})
	if err != nil {
		return 0, err
	}
	emails := map[string]string{}
	for _, p := range partners {
		emails[p.ID] = p.Email
	}
	var links []trafficLink
	for _, p := range programs {
		ls, err := s.Links.FindLinks(ctx, tandem.LinkFilter{ProgramID: p.ID, IncludeArchived: true, Limit: 1000})
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			links = append(links, trafficLink{link: l, program: p, key: fmt.Sprintf("%s %s %t %s", p.Slug, emails[l.PartnerID], !l.IsDefault, l.Label)})
		}
	}
	slices.SortFunc(links, func(a, b trafficLink) int { return strings.Compare(a.key, b.key) })
	rng := rand.New(rand.NewPCG(clickSeed, clickSeed))
	for i := range links {
		// Some partners send far more than others; the demo partner (whose
		// portal a visitor of the demo sees) is one of the busy ones.
		links[i].weight = 0.3 + 2*rng.Float64()*rng.Float64()
		if emails[links[i].link.PartnerID] == PartnerEmail {
			links[i].weight += 2
		}
	}
	cs := planClicks(rng, links, now)
	for start := 0; start < len(cs); start += clickBatch {
		batch := cs[start:min(start+clickBatch, len(cs))]
		for i := range batch {
			batch[i].ID = tandem.NewID(tandem.PrefixClick)
		}
		if err := s.Clicks.InsertClicks(ctx, batch); err != nil {
			return 0, fmt.Errorf("clicks: %w", err)
		}
	}
	return len(cs), nil
}

// planClicks draws the clicks (without IDs) of the clickDays days up to
// now, oldest first: a weekly rhythm, growth, noise and the odd busy day;
// repeat visits within the hour and a few bots. Equal inputs and rng
// state give equal clicks.
func planClicks(rng *rand.Rand, links []trafficLink, now time.Time) []clicks.Click {
	if len(links) == 0 {
		return nil
	}
	detector := bot.New(len(botAgents) + len(browserAgents))
	weights := make([]float64, len(links))
	for i, l := range links {
		weights[i] = l.weight
	}
	secret := []byte("fjordline demo visitors")
	type visit struct {
		at     time.Time
		ip, ua string
	}
	last := make([]*visit, len(links)) // each link's previous human visit
	var cs []clicks.Click
	today := now.UTC().Truncate(24 * time.Hour)
	for d := clickDays - 1; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		mean := dailyClicks * (1 + growth*float64(clickDays-1-d)/float64(clickDays-1)) * weekdayShape[day.Weekday()]
		mean *= 0.75 + 0.5*rng.Float64()
		if rng.IntN(12) == 0 { // a newsletter went out, a post took off
			mean *= 2.5
		}
		times := make([]time.Time, int(mean+0.5))
		for i := range times {
			times[i] = day.Add(time.Duration(pick(rng, hourShape[:]))*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for _, at := range times {
			i := pick(rng, weights)
			l := links[i]
			v := &visit{at: at, ip: fmt.Sprintf("%s%d", demoVisitorIP, rng.IntN(250)+1), ua: browserAgents[rng.IntN(len(browserAgents))]}
			switch r := rng.Float64(); {
			case r < botChance:
				v.ua = botAgents[rng.IntN(len(botAgents))]
			case r < botChance+repeatChance && last[i] != nil:
				// The previous visitor of this link comes back within the hour.
				v = &visit{at: last[i].at.Add(time.Duration(1+rng.IntN(55)) * time.Minute), ip: last[i].ip, ua: last[i].ua}
			}
			if v.at.After(now) {
				continue
			}
			isBot := detector.IsBot(v.ua)
			if !isBot {
				last[i] = v
			}
			target, _ := tandem.TargetURL(l.program, l.link) // "" when the program has no destination
			cs = append(cs, clicks.Click{LinkID: l.link.ID, At: v.at, Visitor: clicks.VisitorKey(secret, v.at, v.ip, v.ua),
				UserAgent: v.ua, Referrer: channelReferrers[l.link.Channel], LandingURL: target, Bot: isBot})
		}
	}
	// Repeats may land after the next clicks of the day: keep time order,
	// so that each click's uniqueness is judged against the clicks before it.
	slices.SortStableFunc(cs, func(a, b clicks.Click) int { return cmp.Compare(a.At.UnixMilli(), b.At.UnixMilli()) })
	return cs
}

// pick returns an index drawn with the given weights.
func pick(rng *rand.Rand, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := rng.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
