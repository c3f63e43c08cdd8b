package attribution_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

// This file holds what the property tests and the fuzz target share: a
// reference implementation written the slow, obvious way, and the checks
// every result must pass.

// decision is the part of a Result that says who and by what evidence,
// without the words.
type decision struct {
	PartnerID, ClickID, LinkID, ReferralID, CouponID string
	Source                                           attribution.Source
}

func decisionOf(r attribution.Result) decision {
	return decision{r.PartnerID, r.ClickID, r.LinkID, r.ReferralID, r.CouponID, r.Source}
}

func earns(in attribution.Input, partnerID string) bool {
	p, ok := in.Partners[partnerID]
	return partnerID != "" && ok && p.Status == tandem.MembershipApproved
}

func inWindow(in attribution.Input, c attribution.Click) bool {
	start := in.OccurredAt.Add(-time.Duration(in.Program.CookieDays) * 24 * time.Hour)
	return !c.At.Before(start) && !c.At.After(in.OccurredAt)
}

// eligible returns the clicks that may attribute: in the window, not bots,
// of a partner who can earn.
func eligible(in attribution.Input) []attribution.Click {
	var out []attribution.Click
	for _, c := range in.Clicks {
		if !c.Bot && inWindow(in, c) && earns(in, c.PartnerID) {
			out = append(out, c)
		}
	}
	return out
}

// reference decides by sorting, the obvious way.
func reference(in attribution.Input) decision {
	if l := in.Lock; l != nil && l.PartnerID != "" && !in.Program.LifetimeOff &&
		!l.Since.After(in.OccurredAt) && earns(in, l.PartnerID) {
		return decision{PartnerID: l.PartnerID, Source: attribution.SourceCustomerLock}
	}
	if r := in.Referral; r != nil && earns(in, r.PartnerID) {
		return decision{PartnerID: r.PartnerID, ReferralID: r.ID, Source: attribution.SourceReferral}
	}
	if c := in.Coupon; c != nil && earns(in, c.PartnerID) {
		return decision{PartnerID: c.PartnerID, CouponID: c.ID, Source: attribution.SourceCoupon}
	}
	i := pickClick(in, eligible(in))
	if i < 0 {
		return decision{Source: attribution.SourceNone}
	}
	pick := eligible(in)[i]
	return decision{PartnerID: pick.PartnerID, ClickID: pick.ID, LinkID: pick.LinkID, Source: clickSource(in)}
}

func clickSource(in attribution.Input) attribution.Source {
	if in.Program.Model == tandem.FirstClick {
		return attribution.SourceFirstClick
	}
	return attribution.SourceLastClick
}

// pickClick returns the index of the click the model picks among clicks, by
// sorting, or -1 if there are none.
func pickClick(in attribution.Input, clicks []attribution.Click) int {
	if len(clicks) == 0 {
		return -1
	}
	idx := make([]int, len(clicks))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := clicks[i], clicks[j]
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID+"\x00"+a.LinkID+"\x00"+a.PartnerID+"\x00"+a.LinkLabel,
			b.ID+"\x00"+b.LinkID+"\x00"+b.PartnerID+"\x00"+b.LinkLabel)
	})
	if in.Program.Model == tandem.FirstClick {
		return idx[0]
	}
	// The latest instant; among clicks at that instant, the lowest ID.
	latest := clicks[idx[len(idx)-1]].At
	return idx[slices.IndexFunc(idx, func(i int) bool { return clicks[i].At.Equal(latest) })]
}

// skipKey is the part of a Skip that is not words.
type skipKey struct {
	Source    attribution.Source
	PartnerID string
}

// wantSkips returns the skips a result should list: each rule's candidate
// tried before the deciding one, and one per non-earning partner with an
// in-window, non-bot click that would have won, best first.
func wantSkips(in attribution.Input, res attribution.Result) []skipKey {
	var out []skipKey
	if l := in.Lock; l != nil && l.PartnerID != "" {
		if res.Source == attribution.SourceCustomerLock {
			return out
		}
		out = append(out, skipKey{attribution.SourceCustomerLock, l.PartnerID})
	}
	if r := in.Referral; r != nil {
		if res.Source == attribution.SourceReferral {
			return out
		}
		out = append(out, skipKey{attribution.SourceReferral, r.PartnerID})
	}
	if c := in.Coupon; c != nil {
		if res.Source == attribution.SourceCoupon {
			return out
		}
		out = append(out, skipKey{attribution.SourceCoupon, c.PartnerID})
	}
	elig := eligible(in)
	w := pickClick(in, elig)
	var blocked []attribution.Click
	for _, c := range in.Clicks {
		if !c.Bot && inWindow(in, c) && !earns(in, c.PartnerID) && (w < 0 || pickClick(in, []attribution.Click{c, elig[w]}) == 0) {
			blocked = append(blocked, c)
		}
	}
	for len(blocked) > 0 {
		p := blocked[pickClick(in, blocked)].PartnerID
		out = append(out, skipKey{clickSource(in), p})
		blocked = slices.DeleteFunc(blocked, func(c attribution.Click) bool { return c.PartnerID == p })
	}
	return out
}

var rank = map[attribution.Source]int{
	attribution.SourceCustomerLock: 1, attribution.SourceReferral: 2, attribution.SourceCoupon: 3,
	attribution.SourceFirstClick: 4, attribution.SourceLastClick: 4, attribution.SourceNone: 5,
}

// check returns what is wrong with res as Decide's answer to in, or nil.
func check(in attribution.Input, res attribution.Result) error {
	if want := reference(in); decisionOf(res) != want {
		return fmt.Errorf("decision %+v, reference says %+v", decisionOf(res), want)
	}
	if (res.Source == attribution.SourceNone) != (res.PartnerID == "") {
		return fmt.Errorf("source %q with partner %q: attributed iff a partner", res.Source, res.PartnerID)
	}
	if res.PartnerID != "" && !earns(in, res.PartnerID) {
		return fmt.Errorf("partner %s cannot earn but was attributed", res.PartnerID)
	}
	if res.Explanation == "" {
		return fmt.Errorf("empty explanation")
	}
	if res.PartnerID != "" && !strings.Contains(res.Explanation, res.PartnerID) {
		return fmt.Errorf("explanation %q does not name partner %s", res.Explanation, res.PartnerID)
	}
	switch res.Source {
	case attribution.SourceFirstClick, attribution.SourceLastClick:
		if (res.Source == attribution.SourceFirstClick) != (in.Program.Model == tandem.FirstClick) {
			return fmt.Errorf("source %s under model %s", res.Source, in.Program.Model)
		}
		// Some input click with the result's IDs is in the window, not a bot,
		// and no eligible click beats it. (IDs may repeat in generated inputs,
		// so look at every click that matches.)
		var matched, unbeaten bool
		for _, won := range in.Clicks {
			if won.ID != res.ClickID || won.LinkID != res.LinkID || won.PartnerID != res.PartnerID || won.Bot || !inWindow(in, won) {
				continue
			}
			matched = true
			if !slices.ContainsFunc(eligible(in), func(c attribution.Click) bool {
				return in.Program.Model == tandem.FirstClick && c.At.Before(won.At) ||
					in.Program.Model == tandem.LastClick && c.At.After(won.At) ||
					c.At.Equal(won.At) && c.ID < won.ID
			}) {
				unbeaten = true
			}
		}
		if !matched {
			return fmt.Errorf("click %s (link %s, partner %s) is not an in-window, non-bot input click", res.ClickID, res.LinkID, res.PartnerID)
		}
		if !unbeaten {
			return fmt.Errorf("click %s is not the %s among the eligible clicks %s", res.ClickID, in.Program.Model, dumpClicks(eligible(in)))
		}
	}
	var skips []skipKey
	for _, s := range res.Skipped {
		skips = append(skips, skipKey{s.Source, s.PartnerID})
	}
	if want := wantSkips(in, res); !slices.Equal(skips, want) {
		return fmt.Errorf("skipped %+v, want %+v", skips, want)
	}
	for i, s := range res.Skipped {
		if s.Why == "" {
			return fmt.Errorf("skip %d has no reason", i)
		}
		if rank[s.Source] > rank[res.Source] || i > 0 && rank[s.Source] < rank[res.Skipped[i-1].Source] {
			return fmt.Errorf("skips out of precedence order: %+v for a %s result", res.Skipped, res.Source)
		}
		if s.Source != attribution.SourceCustomerLock && earns(in, s.PartnerID) {
			return fmt.Errorf("skipped %q although partner %s can earn", s.Why, s.PartnerID)
		}
	}
	return nil
}
