package attribution_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

// sale is the moment of the conversion in the table tests.
var sale = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// members are the partners of the table tests' program.
var members = map[string]attribution.Partner{
	"prt_kari": {Name: "Kari", Status: tandem.MembershipApproved},
	"prt_ola":  {Name: "Ola", Status: tandem.MembershipApproved},
	"prt_anon": {Status: tandem.MembershipApproved},
	"prt_bob":  {Name: "Bob", Status: tandem.MembershipSuspended, Reason: "chargebacks"},
	"prt_pia":  {Name: "Pia", Status: tandem.MembershipPending},
	"prt_rex":  {Name: "Rex", Status: tandem.MembershipRejected, Reason: "spam"},
}

// click returns a click of the partner's link, the given time before the sale.
func click(id, partnerID string, before time.Duration) attribution.Click {
	return attribution.Click{ID: "clk_" + id, LinkID: "lnk_" + id, LinkLabel: "link-" + id, PartnerID: partnerID, At: sale.Add(-before)}
}

func bot(c attribution.Click) attribution.Click { c.Bot = true; return c }

var (
	lastClick  = attribution.Program{CookieDays: 30, Model: tandem.LastClick}
	firstClick = attribution.Program{CookieDays: 30, Model: tandem.FirstClick}
	lockKari   = &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_kari", Since: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	refOla     = &attribution.Referral{ID: "ref_1", PartnerID: "prt_ola"}
	couponKari = &attribution.Coupon{ID: "cpn_1", Code: "SPRING20", PartnerID: "prt_kari"}
	couponOla  = &attribution.Coupon{ID: "cpn_2", Code: "OLA10", PartnerID: "prt_ola"}
)

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      attribution.Input // Program defaults to lastClick, OccurredAt to sale, Partners to members
		want    decision
		explain string // the whole Result.String(), if set
	}{
		// 1. The lifetime lock.
		{
			name:    "lock wins over referral, coupon and click",
			in:      attribution.Input{Lock: lockKari, Referral: refOla, Coupon: couponOla, Clicks: []attribution.Click{click("a", "prt_ola", time.Hour)}},
			want:    decision{PartnerID: "prt_kari", Source: attribution.SourceCustomerLock},
			explain: "customer cus_1 has belonged to partner Kari (prt_kari) since 2026-03-02 (lifetime)",
		},
		{
			name: "lock starting at the very moment of the sale applies",
			in:   attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_kari", Since: sale}, Referral: refOla},
			want: decision{PartnerID: "prt_kari", Source: attribution.SourceCustomerLock},
		},
		{
			name:    "lock without a start applies, and says no date",
			in:      attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_anon"}},
			want:    decision{PartnerID: "prt_anon", Source: attribution.SourceCustomerLock},
			explain: "customer cus_1 has belonged to partner prt_anon (lifetime)",
		},
		{
			name: "lock starting 1ms after the sale does not apply",
			in:   attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_kari", Since: sale.Add(time.Millisecond)}, Referral: refOla},
			want: decision{PartnerID: "prt_ola", ReferralID: "ref_1", Source: attribution.SourceReferral},
			explain: "referral ref_1 of partner Ola (prt_ola); skipped lifetime lock of customer cus_1 to partner Kari (prt_kari): " +
				"it starts at 2026-03-20 12:00:00 UTC, after the sale",
		},
		{
			name: "lifetime off: the lock is set aside for the referral",
			in:   attribution.Input{Program: attribution.Program{CookieDays: 30, Model: tandem.LastClick, LifetimeOff: true}, Lock: lockKari, Referral: refOla},
			want: decision{PartnerID: "prt_ola", ReferralID: "ref_1", Source: attribution.SourceReferral},
			explain: "referral ref_1 of partner Ola (prt_ola); skipped lifetime lock of customer cus_1 to partner Kari (prt_kari): " +
				"the program has lifetime attribution off",
		},
		{
			name: "lifetime off with nothing else: unattributed",
			in:   attribution.Input{Program: attribution.Program{CookieDays: 30, Model: tandem.FirstClick, LifetimeOff: true}, Lock: lockKari},
			want: decision{Source: attribution.SourceNone},
		},
		{
			name: "lock of a suspended partner falls through to the coupon",
			in:   attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_bob"}, Coupon: couponKari},
			want: decision{PartnerID: "prt_kari", CouponID: "cpn_1", Source: attribution.SourceCoupon},
			explain: "coupon SPRING20 of partner Kari (prt_kari); skipped lifetime lock of customer cus_1 to partner Bob (prt_bob): " +
				"the partner is suspended (chargebacks)",
		},
		{
			name: "lock of a suspended partner with nothing else: unattributed, with the skip",
			in:   attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_bob"}},
			want: decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed; skipped lifetime lock of customer cus_1 to partner Bob (prt_bob): " +
				"the partner is suspended (chargebacks)",
		},
		{
			name: "lock of a partner who is not a member falls through to the click",
			in:   attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_gone"}, Clicks: []attribution.Click{click("a", "prt_ola", day)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
			explain: "last click 1 day before the sale via link link-a (lnk_a) of partner Ola (prt_ola); " +
				"skipped lifetime lock of customer cus_1 to partner prt_gone: the partner is not a member of the program",
		},
		{
			name:    "a lock without a partner is no lock",
			in:      attribution.Input{Lock: &attribution.Lock{CustomerID: "cus_1"}, Coupon: couponOla},
			want:    decision{PartnerID: "prt_ola", CouponID: "cpn_2", Source: attribution.SourceCoupon},
			explain: "coupon OLA10 of partner Ola (prt_ola)",
		},

		// 2. The referral.
		{
			name:    "referral wins over coupon and click",
			in:      attribution.Input{Referral: refOla, Coupon: couponKari, Clicks: []attribution.Click{click("a", "prt_kari", 0)}},
			want:    decision{PartnerID: "prt_ola", ReferralID: "ref_1", Source: attribution.SourceReferral},
			explain: "referral ref_1 of partner Ola (prt_ola)",
		},
		{
			name:    "referral of a pending partner falls through to the coupon",
			in:      attribution.Input{Referral: &attribution.Referral{ID: "ref_2", PartnerID: "prt_pia"}, Coupon: couponKari},
			want:    decision{PartnerID: "prt_kari", CouponID: "cpn_1", Source: attribution.SourceCoupon},
			explain: "coupon SPRING20 of partner Kari (prt_kari); skipped referral ref_2 of partner Pia (prt_pia): the partner is not approved yet",
		},
		{
			name: "referral of a rejected partner falls through to the click",
			in:   attribution.Input{Referral: &attribution.Referral{ID: "ref_3", PartnerID: "prt_rex"}, Clicks: []attribution.Click{click("a", "prt_kari", 3*day)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
			explain: "last click 3 days before the sale via link link-a (lnk_a) of partner Kari (prt_kari); " +
				"skipped referral ref_3 of partner Rex (prt_rex): the partner was rejected (spam)",
		},

		// 3. The coupon.
		{
			name:    "coupon wins over a later click",
			in:      attribution.Input{Coupon: couponKari, Clicks: []attribution.Click{click("a", "prt_ola", 0)}},
			want:    decision{PartnerID: "prt_kari", CouponID: "cpn_1", Source: attribution.SourceCoupon},
			explain: "coupon SPRING20 of partner Kari (prt_kari)",
		},
		{
			name: "coupon mapped to no partner falls through to the click",
			in:   attribution.Input{Coupon: &attribution.Coupon{ID: "cpn_3", Code: "WINTER"}, Clicks: []attribution.Click{click("a", "prt_ola", 90*time.Minute)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
			explain: "last click 1 hour 30 minutes before the sale via link link-a (lnk_a) of partner Ola (prt_ola); " +
				"skipped coupon WINTER of no partner: it belongs to no partner",
		},
		{
			name: "coupon of a suspended partner, nothing else: unattributed",
			in:   attribution.Input{Coupon: &attribution.Coupon{ID: "cpn_4", Code: "BOB5", PartnerID: "prt_bob"}},
			want: decision{Source: attribution.SourceNone},
		},
		{
			name: "every rule skipped in order",
			in: attribution.Input{
				Lock:     &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_bob"},
				Referral: &attribution.Referral{ID: "ref_2", PartnerID: "prt_pia"},
				Coupon:   &attribution.Coupon{ID: "cpn_4", Code: "BOB5", PartnerID: "prt_bob"},
				Clicks:   []attribution.Click{click("a", "prt_rex", day)},
			},
			want: decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed" +
				"; skipped lifetime lock of customer cus_1 to partner Bob (prt_bob): the partner is suspended (chargebacks)" +
				"; skipped referral ref_2 of partner Pia (prt_pia): the partner is not approved yet" +
				"; skipped coupon BOB5 of partner Bob (prt_bob): the partner is suspended (chargebacks)" +
				"; skipped click 1 day before the sale via link link-a (lnk_a) of partner Rex (prt_rex): the partner was rejected (spam)",
		},

		// 4. Clicks: the models.
		{
			name:    "last click takes the latest",
			in:      attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", 10*day), click("b", "prt_ola", 3*day), click("c", "prt_kari", 20*day)}},
			want:    decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceLastClick},
			explain: "last click 3 days before the sale via link link-b (lnk_b) of partner Ola (prt_ola)",
		},
		{
			name:    "first click takes the earliest",
			in:      attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("a", "prt_kari", 10*day), click("b", "prt_ola", 3*day), click("c", "prt_kari", 20*day+5*time.Hour)}},
			want:    decision{PartnerID: "prt_kari", ClickID: "clk_c", LinkID: "lnk_c", Source: attribution.SourceFirstClick},
			explain: "first click 20 days 5 hours before the sale via link link-c (lnk_c) of partner Kari (prt_kari)",
		},
		{
			name:    "link without a label is named by its ID",
			in:      attribution.Input{Clicks: []attribution.Click{{ID: "clk_x", LinkID: "lnk_x", PartnerID: "prt_anon", At: sale.Add(-42 * time.Second)}}},
			want:    decision{PartnerID: "prt_anon", ClickID: "clk_x", LinkID: "lnk_x", Source: attribution.SourceLastClick},
			explain: "last click 42 seconds before the sale via link lnk_x of partner prt_anon",
		},

		// 4. Clicks: the window's edges.
		{
			name:    "first click exactly at the window's start counts",
			in:      attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("a", "prt_kari", 30*day), click("b", "prt_ola", day)}},
			want:    decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceFirstClick},
			explain: "first click 30 days before the sale via link link-a (lnk_a) of partner Kari (prt_kari)",
		},
		{
			name: "first click 1ms before the window's start does not",
			in:   attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("a", "prt_kari", 30*day+time.Millisecond), click("b", "prt_ola", day)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceFirstClick},
		},
		{
			name: "last click exactly at the window's start counts when it is the only one",
			in:   attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", 30*day)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
		},
		{
			name:    "only click 1ms before the window: unattributed",
			in:      attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", 30*day+time.Millisecond)}},
			want:    decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed (ignored 1 click before the 30-day cookie window)",
		},
		{
			name:    "click at the very moment of the sale counts",
			in:      attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", day), click("b", "prt_ola", 0)}},
			want:    decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceLastClick},
			explain: "last click at the moment of the sale via link link-b (lnk_b) of partner Ola (prt_ola)",
		},
		{
			name: "click 1ms after the sale never counts, even under last click",
			in:   attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", day), click("b", "prt_ola", -time.Millisecond)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
		},
		{
			name:    "only clicks after the sale: unattributed",
			in:      attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("a", "prt_kari", -time.Millisecond), click("b", "prt_kari", -day)}},
			want:    decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed (ignored 2 clicks after the sale)",
		},
		{
			name: "one-day window: exactly 24h counts",
			in:   attribution.Input{Program: attribution.Program{CookieDays: 1, Model: tandem.FirstClick}, Clicks: []attribution.Click{click("a", "prt_kari", day), click("b", "prt_ola", time.Hour)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceFirstClick},
		},
		{
			name: "one-day window: 24h and 1ms does not",
			in:   attribution.Input{Program: attribution.Program{CookieDays: 1, Model: tandem.FirstClick}, Clicks: []attribution.Click{click("a", "prt_kari", day+time.Millisecond), click("b", "prt_ola", time.Hour)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceFirstClick},
		},
		{
			name: "longest window: 730 days exactly counts",
			in:   attribution.Input{Program: attribution.Program{CookieDays: 730, Model: tandem.FirstClick}, Clicks: []attribution.Click{click("a", "prt_kari", 730*day), click("b", "prt_ola", 730*day+time.Millisecond)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceFirstClick},
		},
		{
			// Oslo moved its clocks forward on 2026-03-29: 30 days of 24h
			// before 12:00 on 2026-04-10 (summer time) is 11:00 on 2026-03-11
			// (winter time), so a click at 12:00 that day is inside and one at
			// 10:59:59.999 is outside.
			name: "a day is 24 hours, whatever the time zone",
			in: func() attribution.Input {
				oslo, err := time.LoadLocation("Europe/Oslo")
				if err != nil {
					t.Fatal(err)
				}
				return attribution.Input{
					Program:    firstClick,
					OccurredAt: time.Date(2026, 4, 10, 12, 0, 0, 0, oslo),
					Clicks: []attribution.Click{
						{ID: "clk_out", LinkID: "lnk_out", PartnerID: "prt_ola", At: time.Date(2026, 3, 11, 10, 59, 59, 999e6, oslo)},
						{ID: "clk_edge", LinkID: "lnk_edge", PartnerID: "prt_kari", At: time.Date(2026, 3, 11, 11, 0, 0, 0, oslo)},
						{ID: "clk_noon", LinkID: "lnk_noon", PartnerID: "prt_ola", At: time.Date(2026, 3, 11, 12, 0, 0, 0, oslo)},
					},
				}
			}(),
			want: decision{PartnerID: "prt_kari", ClickID: "clk_edge", LinkID: "lnk_edge", Source: attribution.SourceFirstClick},
		},
		{
			name: "times in different zones compare as instants",
			in: attribution.Input{Clicks: []attribution.Click{
				{ID: "clk_utc", LinkID: "lnk_utc", PartnerID: "prt_kari", At: sale.Add(-time.Hour)},
				{ID: "clk_ny", LinkID: "lnk_ny", PartnerID: "prt_ola", At: sale.Add(-30 * time.Minute).In(time.FixedZone("EDT", -4*3600))},
			}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_ny", LinkID: "lnk_ny", Source: attribution.SourceLastClick},
		},

		// 4. Clicks: bots.
		{
			name: "a later bot click does not count",
			in:   attribution.Input{Clicks: []attribution.Click{click("a", "prt_kari", 2*day), bot(click("b", "prt_ola", time.Hour))}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
		},
		{
			name: "an earlier bot click does not count under first click",
			in:   attribution.Input{Program: firstClick, Clicks: []attribution.Click{bot(click("a", "prt_ola", 20*day)), click("b", "prt_kari", 2*day)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceFirstClick},
		},
		{
			name: "only bots and stray clicks: unattributed, and says what was ignored",
			in: attribution.Input{Clicks: []attribution.Click{
				bot(click("a", "prt_ola", time.Hour)), bot(click("b", "prt_ola", 2*time.Hour)),
				click("c", "prt_kari", 31*day), click("d", "prt_kari", -time.Hour),
			}},
			want:    decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed (ignored 1 click after the sale, 1 click before the 30-day cookie window and 2 bot clicks)",
		},

		// 4. Clicks: ties at the same instant go to the lowest click ID.
		{
			name: "last click tie: lowest ID, whatever the order",
			in:   attribution.Input{Clicks: []attribution.Click{click("b", "prt_ola", day), click("c", "prt_ola", day), click("a", "prt_kari", day), click("z", "prt_ola", 2*day)}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
		},
		{
			name: "first click tie: lowest ID, whatever the order",
			in:   attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("z", "prt_kari", day), click("c", "prt_kari", 5*day), click("b", "prt_ola", 5*day)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceFirstClick},
		},
		{
			name: "tie with a bot of lower ID: the bot still does not count",
			in:   attribution.Input{Clicks: []attribution.Click{click("b", "prt_ola", day), bot(click("a", "prt_kari", day))}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceLastClick},
		},

		// 4. Clicks of partners who cannot earn.
		{
			name: "suspended partner's later clicks are skipped for the last earning one",
			in: attribution.Input{Clicks: []attribution.Click{
				click("a", "prt_kari", 5*day), click("b", "prt_bob", 2*day), click("c", "prt_bob", day), click("d", "prt_bob", 6*day),
				click("e", "prt_pia", 3*day),
			}},
			want: decision{PartnerID: "prt_kari", ClickID: "clk_a", LinkID: "lnk_a", Source: attribution.SourceLastClick},
			explain: "last click 5 days before the sale via link link-a (lnk_a) of partner Kari (prt_kari)" +
				"; skipped click 1 day before the sale via link link-c (lnk_c) of partner Bob (prt_bob) and 1 more click of that partner: the partner is suspended (chargebacks)" +
				"; skipped click 3 days before the sale via link link-e (lnk_e) of partner Pia (prt_pia): the partner is not approved yet",
		},
		{
			name: "suspended partner's earlier click is skipped under first click",
			in:   attribution.Input{Program: firstClick, Clicks: []attribution.Click{click("a", "prt_bob", 9*day), click("b", "prt_ola", 4*day)}},
			want: decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceFirstClick},
			explain: "first click 4 days before the sale via link link-b (lnk_b) of partner Ola (prt_ola)" +
				"; skipped click 9 days before the sale via link link-a (lnk_a) of partner Bob (prt_bob): the partner is suspended (chargebacks)",
		},
		{
			name:    "a non-earning partner's click that would have lost anyway is not listed",
			in:      attribution.Input{Clicks: []attribution.Click{click("a", "prt_bob", 9*day), click("b", "prt_ola", 4*day)}},
			want:    decision{PartnerID: "prt_ola", ClickID: "clk_b", LinkID: "lnk_b", Source: attribution.SourceLastClick},
			explain: "last click 4 days before the sale via link link-b (lnk_b) of partner Ola (prt_ola)",
		},
		{
			name: "clicks of a partner who is not a member are skipped",
			in:   attribution.Input{Clicks: []attribution.Click{click("a", "prt_gone", time.Minute)}},
			want: decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed" +
				"; skipped click 1 minute before the sale via link link-a (lnk_a) of partner prt_gone: the partner is not a member of the program",
		},
		{
			name: "a partner with an unknown membership status cannot earn",
			in: attribution.Input{
				Clicks:   []attribution.Click{click("a", "prt_odd", time.Minute)},
				Partners: map[string]attribution.Partner{"prt_odd": {Name: "Odd", Status: "archived"}},
			},
			want: decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed" +
				"; skipped click 1 minute before the sale via link link-a (lnk_a) of partner Odd (prt_odd): the partner's membership is \"archived\"",
		},

		{
			name: "an empty partner ID never earns, even if listed as approved",
			in: attribution.Input{
				Coupon:   &attribution.Coupon{ID: "cpn_3", Code: "WINTER"},
				Clicks:   []attribution.Click{click("a", "", time.Minute)},
				Partners: map[string]attribution.Partner{"": {Status: tandem.MembershipApproved}},
			},
			want: decision{Source: attribution.SourceNone},
			explain: "no eligible click, coupon or referral: unattributed" +
				"; skipped coupon WINTER of no partner: it belongs to no partner" +
				"; skipped click 1 minute before the sale via link link-a (lnk_a) of no partner: it belongs to no partner",
		},

		// 5. Nothing.
		{
			name:    "nothing at all: unattributed",
			in:      attribution.Input{},
			want:    decision{Source: attribution.SourceNone},
			explain: "no click, coupon or referral: unattributed",
		},
		{
			name: "no partners known: nobody can earn",
			in:   attribution.Input{Referral: refOla, Partners: map[string]attribution.Partner{}},
			want: decision{Source: attribution.SourceNone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			if in.Program == (attribution.Program{}) {
				in.Program = lastClick
			}
			if in.OccurredAt.IsZero() {
				in.OccurredAt = sale
			}
			if in.Partners == nil {
				in.Partners = members
			}
			got := attribution.Decide(in)
			if decisionOf(got) != tt.want {
				t.Errorf("decision\n got %+v\nwant %+v\n(%s)", decisionOf(got), tt.want, got)
			}
			if tt.explain != "" && got.String() != tt.explain {
				t.Errorf("explanation\n got %q\nwant %q", got.String(), tt.explain)
			}
			if err := check(in, got); err != nil {
				t.Error(err)
			}
			// The order of the clicks never matters.
			rev := in
			rev.Clicks = slices.Clone(in.Clicks)
			slices.Reverse(rev.Clicks)
			if again := attribution.Decide(rev); !resultsEqual(again, got) {
				t.Errorf("clicks reversed: %+v, in order: %+v", again, got)
			}
		})
	}
}

func TestDecideSkippedFields(t *testing.T) {
	t.Parallel()
	got := attribution.Decide(attribution.Input{
		Program:    lastClick,
		OccurredAt: sale,
		Lock:       &attribution.Lock{CustomerID: "cus_1", PartnerID: "prt_bob"},
		Coupon:     &attribution.Coupon{ID: "cpn_3", Code: "WINTER"},
		Clicks:     []attribution.Click{click("a", "prt_kari", 2*day), click("b", "prt_rex", day)},
		Partners:   members,
	})
	want := []attribution.Skip{
		{Source: attribution.SourceCustomerLock, PartnerID: "prt_bob"},
		{Source: attribution.SourceCoupon, PartnerID: ""},
		{Source: attribution.SourceLastClick, PartnerID: "prt_rex"},
	}
	if len(got.Skipped) != len(want) {
		t.Fatalf("skipped %+v, want %d entries", got.Skipped, len(want))
	}
	for i, s := range got.Skipped {
		if s.Source != want[i].Source || s.PartnerID != want[i].PartnerID || s.Why == "" {
			t.Errorf("skip %d: %+v, want source %s and partner %q", i, s, want[i].Source, want[i].PartnerID)
		}
	}
	if got.ClickID != "clk_a" || got.ReferralID != "" || got.CouponID != "" {
		t.Errorf("evidence %+v, want only click clk_a", got)
	}
}

func TestProgramValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p     attribution.Program
		field string // "" when valid
	}{
		{attribution.Program{CookieDays: 30, Model: tandem.LastClick}, ""},
		{attribution.Program{CookieDays: 1, Model: tandem.FirstClick}, ""},
		{attribution.Program{CookieDays: attribution.MaxCookieDays, Model: tandem.FirstClick, LifetimeOff: true}, ""},
		{attribution.Program{CookieDays: 0, Model: tandem.LastClick}, "cookie_days"},
		{attribution.Program{CookieDays: -1, Model: tandem.LastClick}, "cookie_days"},
		{attribution.Program{CookieDays: attribution.MaxCookieDays + 1, Model: tandem.LastClick}, "cookie_days"},
		{attribution.Program{CookieDays: 30}, "attribution"},
		{attribution.Program{CookieDays: 30, Model: "linear"}, "attribution"},
		{attribution.Program{CookieDays: 30, Model: "Last_Click"}, "attribution"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%+v: %v, want valid", tt.p, err)
			}
			continue
		}
		if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
			t.Errorf("%+v: %v, want EINVALID on %s", tt.p, err, tt.field)
		}
	}
}

func TestProgramWindow(t *testing.T) {
	t.Parallel()
	from, to := attribution.Program{CookieDays: 30, Model: tandem.LastClick}.Window(sale)
	if want := time.Date(2026, 2, 18, 12, 0, 0, 0, time.UTC); !from.Equal(want) || !to.Equal(sale) {
		t.Errorf("window [%s, %s], want [%s, %s]", from, to, want, sale)
	}
}

// TestDecideInvalidProgram shows that Decide, given a program that fails
// Validate, still answers without panicking (what it answers is unspecified).
func TestDecideInvalidProgram(t *testing.T) {
	t.Parallel()
	for _, p := range []attribution.Program{{CookieDays: -5, Model: tandem.LastClick}, {CookieDays: 1 << 40, Model: "x"}, {}} {
		res := attribution.Decide(attribution.Input{Program: p, OccurredAt: sale, Clicks: []attribution.Click{click("a", "prt_kari", day)}, Partners: members})
		if res.Explanation == "" || (res.PartnerID == "") != (res.Source == attribution.SourceNone) {
			t.Errorf("%+v: %+v", p, res)
		}
	}
}

// resultsEqual compares two results in full, explanations and skips included.
func resultsEqual(a, b attribution.Result) bool {
	return decisionOf(a) == decisionOf(b) && a.Explanation == b.Explanation && slices.Equal(a.Skipped, b.Skipped)
}
