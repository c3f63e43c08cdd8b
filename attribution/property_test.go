package attribution_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

var (
	propSeed  = flag.Uint64("attribution.seed", 20260320, "seed of the attribution property tests")
	propCases = flag.Int("attribution.cases", 10000, "random inputs per attribution property test")
)

// gen makes random inputs that hit the edges often: clicks exactly at the
// window's start and at the sale, 1ms outside either, ties at one instant,
// bots, partners in every membership status, locks before and after the sale.
type gen struct{ r *rand.Rand }

var partnerPool = []string{"prt_a", "prt_b", "prt_c", "prt_d", "prt_e", ""}

func (g gen) partner() string { return partnerPool[g.r.IntN(len(partnerPool))] }

func (g gen) input() attribution.Input {
	r := g.r
	in := attribution.Input{
		Program: attribution.Program{
			CookieDays:  []int{1, 2, 7, 30, 90, attribution.MaxCookieDays, 1 + r.IntN(attribution.MaxCookieDays)}[r.IntN(7)],
			Model:       []tandem.AttributionModel{tandem.FirstClick, tandem.LastClick}[r.IntN(2)],
			LifetimeOff: r.IntN(4) == 0,
		},
		OccurredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(365 * day)))),
		Partners:   map[string]attribution.Partner{},
	}
	if r.IntN(3) == 0 {
		in.OccurredAt = in.OccurredAt.In(time.FixedZone("X", (r.IntN(27)-12)*3600))
	}
	statuses := []tandem.MembershipStatus{tandem.MembershipApproved, tandem.MembershipApproved, tandem.MembershipSuspended,
		tandem.MembershipPending, tandem.MembershipRejected, ""}
	for _, id := range partnerPool[:5] {
		if s := statuses[r.IntN(len(statuses))]; s != "" { // "": not a member
			in.Partners[id] = attribution.Partner{Name: []string{"", "Kari", "Ola"}[r.IntN(3)], Status: s, Reason: "r"}
		}
	}
	from, _ := in.Program.Window(in.OccurredAt)
	if r.IntN(2) == 0 {
		since := []time.Time{{}, in.OccurredAt, in.OccurredAt.Add(time.Millisecond), in.OccurredAt.Add(-time.Duration(r.Int64N(int64(900 * day))))}[r.IntN(4)]
		in.Lock = &attribution.Lock{CustomerID: "cus_1", PartnerID: g.partner(), Since: since}
	}
	if r.IntN(3) == 0 {
		in.Referral = &attribution.Referral{ID: "ref_1", PartnerID: g.partner()}
	}
	if r.IntN(3) == 0 {
		in.Coupon = &attribution.Coupon{ID: "cpn_1", Code: "SPRING20", PartnerID: g.partner()}
	}
	var shared []time.Time // instants several clicks share, to make ties
	for range r.IntN(15) {
		in.Clicks = append(in.Clicks, g.click(in.OccurredAt, from, &shared))
	}
	return in
}

func (g gen) click(occurred, from time.Time, shared *[]time.Time) attribution.Click {
	r := g.r
	var at time.Time
	switch k := r.IntN(10); {
	case k == 0:
		at = from
	case k == 1:
		at = from.Add(-time.Millisecond)
	case k == 2:
		at = occurred
	case k == 3:
		at = occurred.Add(time.Millisecond)
	case k == 4 && len(*shared) > 0:
		at = (*shared)[r.IntN(len(*shared))]
	default: // anywhere from a day before the window to a day after the sale
		span := occurred.Sub(from) + 2*day
		at = from.Add(-day + time.Duration(r.Int64N(int64(span)+1)))
	}
	*shared = append(*shared, at)
	id := fmt.Sprintf("clk_%02d", r.IntN(40)) // IDs may repeat: the result must not depend on order even then
	link := "lnk_" + id[4:]
	if r.IntN(4) == 0 { // another link: same click ID, different link
		link = fmt.Sprintf("lnk_%d", r.IntN(3))
	}
	return attribution.Click{ID: id, LinkID: link, LinkLabel: "link-" + link[4:], PartnerID: g.partner(), At: at, Bot: r.IntN(6) == 0}
}

// forEachInput runs fn on *propCases random inputs from a fixed seed, and on
// failure says how to replay it.
func forEachInput(t *testing.T, fn func(g gen, in attribution.Input) error) {
	t.Helper()
	seed := *propSeed
	g := gen{rand.New(rand.NewPCG(seed, 0x7a6e6465))}
	for i := range *propCases {
		in := g.input()
		if err := in.Program.Validate(); err != nil {
			t.Fatalf("generator made an invalid program: %v", err)
		}
		if err := fn(g, in); err != nil {
			t.Fatalf("seed %d, case %d (replay: go test ./attribution -run '%s$' -attribution.seed %d): %v\ninput: %s",
				seed, i, t.Name(), seed, err, dump(in))
		}
	}
}

// TestPropertyMatchesReference checks every result against the reference
// implementation and the invariants of check: the partner can earn or there is
// none, a click result's click is in the window, not a bot, and the earliest
// or latest eligible one, and skips come in precedence order.
func TestPropertyMatchesReference(t *testing.T) {
	t.Parallel()
	forEachInput(t, func(_ gen, in attribution.Input) error {
		return check(in, attribution.Decide(in))
	})
}

// TestPropertyOrderDoesNotMatter shuffles the clicks: the whole result,
// words included, stays the same.
func TestPropertyOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	forEachInput(t, func(g gen, in attribution.Input) error {
		want := attribution.Decide(in)
		shuffled := in
		shuffled.Clicks = slices.Clone(in.Clicks)
		g.r.Shuffle(len(shuffled.Clicks), func(i, j int) { shuffled.Clicks[i], shuffled.Clicks[j] = shuffled.Clicks[j], shuffled.Clicks[i] })
		if got := attribution.Decide(shuffled); !resultsEqual(got, want) {
			return fmt.Errorf("shuffled clicks %s give %+v, in order %+v", dumpClicks(shuffled.Clicks), got, want)
		}
		return nil
	})
}

// TestPropertyIgnoredClicksChangeNothing adds a bot click (of any partner, at
// any time, even a partner who can earn) or a click of a partner who cannot
// earn: the decision stays the same.
func TestPropertyIgnoredClicksChangeNothing(t *testing.T) {
	t.Parallel()
	forEachInput(t, func(g gen, in attribution.Input) error {
		want := decisionOf(attribution.Decide(in))
		from, _ := in.Program.Window(in.OccurredAt)
		var shared []time.Time
		for _, c := range in.Clicks {
			shared = append(shared, c.At)
		}
		extra := g.click(in.OccurredAt, from, &shared)
		switch {
		case g.r.IntN(2) == 0:
			extra.Bot = true
		case !earns(in, extra.PartnerID):
		default:
			extra.PartnerID = "prt_outsider" // not a member
		}
		more := in
		more.Clicks = append(slices.Clone(in.Clicks), extra)
		if got := decisionOf(attribution.Decide(more)); got != want {
			return fmt.Errorf("adding %s changed the decision from %+v to %+v", dumpClicks([]attribution.Click{extra}), want, got)
		}
		return nil
	})
}

// TestPropertyPrecedence states the precedence directly: a lock in force
// whose partner can earn always decides; otherwise an earning referral; then
// an earning coupon; and a result is unattributed only when no candidate of
// any rule can earn.
func TestPropertyPrecedence(t *testing.T) {
	t.Parallel()
	forEachInput(t, func(_ gen, in attribution.Input) error {
		got := attribution.Decide(in)
		l, ref, cpn := in.Lock, in.Referral, in.Coupon
		switch {
		case l != nil && !in.Program.LifetimeOff && !l.Since.After(in.OccurredAt) && earns(in, l.PartnerID):
			if got.Source != attribution.SourceCustomerLock || got.PartnerID != l.PartnerID {
				return fmt.Errorf("lock of %s in force, got %+v", l.PartnerID, got)
			}
		case ref != nil && earns(in, ref.PartnerID):
			if got.Source != attribution.SourceReferral || got.PartnerID != ref.PartnerID || got.ReferralID != ref.ID {
				return fmt.Errorf("earning referral of %s, got %+v", ref.PartnerID, got)
			}
		case cpn != nil && earns(in, cpn.PartnerID):
			if got.Source != attribution.SourceCoupon || got.PartnerID != cpn.PartnerID || got.CouponID != cpn.ID {
				return fmt.Errorf("earning coupon of %s, got %+v", cpn.PartnerID, got)
			}
		case len(eligible(in)) > 0:
			if got.ClickID == "" {
				return fmt.Errorf("eligible clicks but no click result: %+v", got)
			}
		default:
			if got.Source != attribution.SourceNone {
				return fmt.Errorf("no candidate can earn, got %+v", got)
			}
		}
		return nil
	})
}

func dump(in attribution.Input) string {
	s := fmt.Sprintf("program %+v, occurred %s, partners %v", in.Program, in.OccurredAt.Format(time.RFC3339Nano), in.Partners)
	if in.Lock != nil {
		s += fmt.Sprintf(", lock %+v", *in.Lock)
	}
	if in.Referral != nil {
		s += fmt.Sprintf(", referral %+v", *in.Referral)
	}
	if in.Coupon != nil {
		s += fmt.Sprintf(", coupon %+v", *in.Coupon)
	}
	return s + ", clicks " + dumpClicks(in.Clicks)
}

func dumpClicks(cs []attribution.Click) string {
	s := "["
	for _, c := range cs {
		s += fmt.Sprintf("{%s %s %s bot=%v} ", c.ID, c.PartnerID, c.At.Format(time.RFC3339Nano), c.Bot)
	}
	return s + "]"
}
