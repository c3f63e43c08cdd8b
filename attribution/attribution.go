// Package attribution decides, in plain Go with no SQL or HTTP, which partner
// a conversion belongs to and why.
//
// The caller loads what it knows about one conversion into an [Input]: the
// program's settings, the moment of the sale, the customer's lifetime lock,
// the referral and the coupon named on the conversion, the clicks that may
// have led to it, and the membership of every partner these point to.
// [Decide] then applies the precedence that PRODUCT.md settled on:
//
//  1. a customer already attributed stays with that partner (the lifetime
//     lock), unless the program turned lifetime attribution off;
//  2. an explicit referral (lead) ID, registered by or for a partner;
//  3. a coupon code mapped to a partner;
//  4. a click under the program's model (first click or last click) inside
//     its cookie window;
//  5. otherwise the conversion is unattributed ([SourceNone]): it is stored
//     all the same, never dropped.
//
// A candidate whose partner cannot earn (the membership is not approved: it
// is pending, rejected or suspended, or the partner is not a member at all)
// is skipped and the next candidate is tried; the [Result] records each skip
// and why. This is how a suspended partner's links keep redirecting without
// attributing anything.
//
// # The cookie window
//
// The window of a conversion is the closed interval
// [OccurredAt − CookieDays × 24h, OccurredAt]: a day is exactly 24 hours
// (not a calendar day, so daylight saving time changes nothing), a click
// exactly at the window's start counts, a click at the very moment of the sale
// counts, and a click one millisecond before the start or at any moment after
// the sale does not. Bot clicks never count.
//
// # Ties
//
// Under first click the earliest eligible click wins and under last click the
// latest. When several eligible clicks share that instant, the one with the
// lowest click ID wins under both models (then the lowest link ID, partner ID
// and link label, so the result never depends on the order of Input.Clicks).
//
// # What Decide does not do
//
// Decide reads no clock and changes nothing. It never moves a lifetime lock:
// when the locked partner cannot earn, this one conversion goes to the next
// rule, and the lock itself stays as it is (only an owner or admin reassigns
// a customer). Whether an attributed partner has accepted the current
// agreement does not matter here: the conversion is theirs, and the commission
// rules hold its commissions until they accept.
package attribution

import (
	"slices"
	"time"

	"github.com/tandem-prm/tandem"
)

// day is the cookie window's unit: exactly 24 hours.
const day = 24 * time.Hour

// MaxCookieDays is the longest cookie window, the same bound as
// tandem.Program's cookie_days.
const MaxCookieDays = 730

// Program holds the settings of the conversion's program that attribution
// depends on.
type Program struct {
	// CookieDays is the length of the click window before the sale, in days
	// of exactly 24 hours (1 to MaxCookieDays).
	CookieDays int
	// Model says which click in the window owns the conversion.
	Model tandem.AttributionModel
	// LifetimeOff turns the lifetime lock off: a customer's earlier
	// attribution no longer decides later conversions. The zero value keeps
	// the lock, as PRODUCT.md's precedence has it.
	LifetimeOff bool
}

// Validate reports settings Decide cannot work with (a cookie window out of
// range, an unknown model) as a tandem EINVALID error on the program's field.
func (p Program) Validate() error {
	if p.CookieDays < 1 || p.CookieDays > MaxCookieDays {
		return tandem.Invalidf("cookie_days", "Cookie window must be between 1 and %d days, not %d.", MaxCookieDays, p.CookieDays)
	}
	switch p.Model {
	case tandem.FirstClick, tandem.LastClick:
	default:
		return tandem.Invalidf("attribution", "Attribution must be first_click or last_click, not %q.", p.Model)
	}
	return nil
}

// Window returns the first and the last moment at which a click can attribute
// a conversion that occurred at occurredAt; both ends count. Callers may use
// it to load only the clicks that can matter.
func (p Program) Window(occurredAt time.Time) (from, to time.Time) {
	return occurredAt.Add(-time.Duration(p.CookieDays) * day), occurredAt
}

// Click is one recorded click on a partner's link.
type Click struct {
	ID        string    // clk_…
	LinkID    string    // lnk_…
	LinkLabel string    // the link's label or code, for explanations; may be empty
	PartnerID string    // the link's partner, prt_…
	At        time.Time // when the visitor clicked
	Bot       bool      // the user agent was a bot: stored for audit, never attributes
}

// Coupon is the coupon code used for the sale, with the partner it is mapped to.
type Coupon struct {
	ID        string // cpn_…
	Code      string // as shown to people, e.g. SPRING20
	PartnerID string // empty if the code is mapped to no partner
}

// Referral is the referral (lead) the conversion names explicitly, with the
// partner who registered it or for whom it was registered.
type Referral struct {
	ID        string // ref_…
	PartnerID string
}

// Lock is a customer's lifetime attribution: the partner the customer has
// belonged to since a moment. A lock applies to conversions that occur at or
// after Since; pass the lock in force at the conversion's OccurredAt. A zero
// Since applies to every conversion.
type Lock struct {
	CustomerID string // cus_…
	PartnerID  string // empty means the customer is not attributed: no lock
	Since      time.Time
}

// Partner is what attribution needs to know about one partner in the
// program: a name for explanations and the membership that says whether the
// partner can earn.
type Partner struct {
	Name   string                  // may be empty: explanations then show the ID only
	Status tandem.MembershipStatus // only approved partners can earn
	Reason string                  // the membership's reason (why rejected or suspended)
}

// Input is everything Decide considers for one conversion. Pointers and
// slices left nil mean "none".
type Input struct {
	Program Program
	// OccurredAt is the moment of the sale (the conversion's occurred_at).
	OccurredAt time.Time
	Lock       *Lock
	Referral   *Referral
	Coupon     *Coupon
	// Clicks may come in any order and may include clicks outside the window
	// and bot clicks, which Decide ignores.
	Clicks []Click
	// Partners holds, by partner ID, every partner the lock, referral, coupon
	// and clicks point to. A partner missing here is treated as not a member
	// of the program and cannot earn.
	Partners map[string]Partner
}

// Source is the rule that attributed a conversion. Its values are those of
// the conversions.attribution_reason column (docs/model.md).
type Source string

// Sources, in order of precedence.
const (
	SourceCustomerLock Source = "customer_lock"
	SourceReferral     Source = "referral"
	SourceCoupon       Source = "coupon"
	SourceFirstClick   Source = "first_click"
	SourceLastClick    Source = "last_click"
	SourceNone         Source = "none" // unattributed: stored, never dropped
)

// Skip is a candidate that Decide passed over, and why.
type Skip struct {
	Source    Source // the rule whose candidate it was
	PartnerID string // the candidate's partner; may be empty (a coupon of no partner)
	// Why says in words what was skipped and why, e.g. "referral ref_… of
	// partner Bob (prt_…): the partner is suspended (chargebacks)".
	Why string
}

// Result is Decide's answer: the partner, the rule, the evidence that
// decided, and why.
type Result struct {
	PartnerID string // empty when unattributed
	Source    Source
	// The evidence: ReferralID for SourceReferral, CouponID for SourceCoupon,
	// ClickID and LinkID for the click sources; empty otherwise.
	ReferralID string
	CouponID   string
	ClickID    string
	LinkID     string
	// Explanation says the decision in words, e.g. "last click 3 days before
	// the sale via link newsletter-jan (lnk_…) of partner Kari (prt_…)".
	Explanation string
	// Skipped lists, in the order they were tried, the candidates whose
	// partner could not earn (and a lock the program's settings set aside).
	Skipped []Skip
}

// String returns the explanation followed by every skip, in one line for a
// log or a page.
func (r Result) String() string {
	s := r.Explanation
	for _, k := range r.Skipped {
		s += "; skipped " + k.Why
	}
	return s
}

// Decide returns which partner the conversion described by in belongs to, by
// which rule, and why. It assumes in.Program passes Validate; for a program
// that does not, the result is unspecified (but Decide does not panic).
// Decide is a pure function of in: it reads no clock and keeps no state.
func Decide(in Input) Result {
	var skipped []Skip
	if l := in.Lock; l != nil && l.PartnerID != "" {
		what := "lifetime lock of customer " + l.CustomerID + " to " + in.partner(l.PartnerID)
		switch {
		case in.Program.LifetimeOff:
			skipped = append(skipped, Skip{SourceCustomerLock, l.PartnerID, what + ": the program has lifetime attribution off"})
		case l.Since.After(in.OccurredAt):
			skipped = append(skipped, Skip{SourceCustomerLock, l.PartnerID,
				what + ": it starts at " + l.Since.UTC().Format("2006-01-02 15:04:05 UTC") + ", after the sale"})
		case !in.canEarn(l.PartnerID):
			skipped = append(skipped, Skip{SourceCustomerLock, l.PartnerID, what + ": " + in.whyNot(l.PartnerID)})
		default:
			since := ""
			if !l.Since.IsZero() {
				since = " since " + l.Since.UTC().Format(time.DateOnly)
			}
			return Result{
				PartnerID:   l.PartnerID,
				Source:      SourceCustomerLock,
				Explanation: "customer " + l.CustomerID + " has belonged to " + in.partner(l.PartnerID) + since + " (lifetime)",
				Skipped:     skipped,
			}
		}
	}
	if r := in.Referral; r != nil {
		what := "referral " + r.ID + " of " + in.partner(r.PartnerID)
		if in.canEarn(r.PartnerID) {
			return Result{PartnerID: r.PartnerID, Source: SourceReferral, ReferralID: r.ID, Explanation: what, Skipped: skipped}
		}
		skipped = append(skipped, Skip{SourceReferral, r.PartnerID, what + ": " + in.whyNot(r.PartnerID)})
	}
	if c := in.Coupon; c != nil {
		what := "coupon " + c.Code + " of " + in.partner(c.PartnerID)
		if in.canEarn(c.PartnerID) {
			return Result{PartnerID: c.PartnerID, Source: SourceCoupon, CouponID: c.ID, Explanation: what, Skipped: skipped}
		}
		skipped = append(skipped, Skip{SourceCoupon, c.PartnerID, what + ": " + in.whyNot(c.PartnerID)})
	}
	return in.decideByClick(skipped)
}

// decideByClick applies rule 4 and, failing it, rule 5.
func (in *Input) decideByClick(skipped []Skip) Result {
	first := in.Program.Model == tandem.FirstClick
	source, name := SourceLastClick, "last click"
	if first {
		source, name = SourceFirstClick, "first click"
	}
	from, to := in.Program.Window(in.OccurredAt)
	var bots, early, late, blocked int
	best := -1
	for i := range in.Clicks {
		c := &in.Clicks[i]
		switch {
		case c.Bot:
			bots++
		case c.At.After(to):
			late++
		case c.At.Before(from):
			early++
		case !in.canEarn(c.PartnerID):
			blocked++
		case best < 0 || beats(first, c, &in.Clicks[best]):
			best = i
		}
	}
	if blocked > 0 {
		skipped = in.skipClicks(skipped, source, first, from, to, best)
	}
	if best >= 0 {
		c := &in.Clicks[best]
		return Result{
			PartnerID:   c.PartnerID,
			Source:      source,
			ClickID:     c.ID,
			LinkID:      c.LinkID,
			Explanation: name + " " + in.describeClick(c),
			Skipped:     skipped,
		}
	}
	exp := "no click, coupon or referral: unattributed"
	if in.Lock != nil || in.Referral != nil || in.Coupon != nil || len(in.Clicks) > 0 {
		exp = "no eligible click, coupon or referral: unattributed"
	}
	var ignored []string
	if late > 0 {
		ignored = append(ignored, count(late, "click")+" after the sale")
	}
	if early > 0 {
		ignored = append(ignored, count(early, "click")+" before the "+itoa(in.Program.CookieDays)+"-day cookie window")
	}
	if bots > 0 {
		ignored = append(ignored, count(bots, "bot click"))
	}
	if len(ignored) > 0 {
		exp += " (ignored " + join(ignored) + ")"
	}
	return Result{Source: SourceNone, Explanation: exp, Skipped: skipped}
}

// skipClicks records, one Skip per partner, the in-window clicks of partners
// who cannot earn that would have won over the chosen click (index best, or
// -1 when none was chosen), best of them first.
func (in *Input) skipClicks(skipped []Skip, source Source, first bool, from, to time.Time, best int) []Skip {
	type group struct {
		top *Click // the partner's best passed-over click
		n   int
	}
	var groups []group
	for i := range in.Clicks {
		c := &in.Clicks[i]
		if c.Bot || c.At.After(to) || c.At.Before(from) || in.canEarn(c.PartnerID) ||
			best >= 0 && !beats(first, c, &in.Clicks[best]) {
			continue
		}
		j := slices.IndexFunc(groups, func(g group) bool { return g.top.PartnerID == c.PartnerID })
		switch {
		case j < 0:
			groups = append(groups, group{top: c, n: 1})
		case beats(first, c, groups[j].top):
			groups[j].top, groups[j].n = c, groups[j].n+1
		default:
			groups[j].n++
		}
	}
	slices.SortFunc(groups, func(a, b group) int {
		switch {
		case a.top == b.top:
			return 0
		case beats(first, a.top, b.top):
			return -1
		}
		return 1
	})
	for _, g := range groups {
		what := "click " + in.describeClick(g.top)
		if g.n > 1 {
			what += " and " + count(g.n-1, "more click") + " of that partner"
		}
		skipped = append(skipped, Skip{source, g.top.PartnerID, what + ": " + in.whyNot(g.top.PartnerID)})
	}
	return skipped
}

// beats reports whether click a wins over click b under the model: earlier
// (first click) or later (last click), and at the same instant the lower ID,
// then link ID, partner ID and label, so that the input's order never matters.
func beats(first bool, a, b *Click) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At) == first
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	if a.LinkID != b.LinkID {
		return a.LinkID < b.LinkID
	}
	if a.PartnerID != b.PartnerID {
		return a.PartnerID < b.PartnerID
	}
	return a.LinkLabel < b.LinkLabel
}

// canEarn reports whether the partner may be attributed a conversion: an
// approved member of the program.
func (in *Input) canEarn(partnerID string) bool {
	p, ok := in.Partners[partnerID]
	return ok && partnerID != "" && p.Status == tandem.MembershipApproved
}
