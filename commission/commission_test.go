package commission

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func pct(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func version(rules ...tandem.Rule) *tandem.PlanVersion {
	if err := tandem.ValidateRules(rules); err != nil {
		panic(err)
	}
	return &tandem.PlanVersion{ID: "plv_1", Version: 1, Rules: rules}
}

func sale(amount int64) Input {
	return Input{Kind: tandem.ConversionSale, Amount: amount, Currency: "USD", OccurredAt: t0,
		FirstSale: true, FirstSaleAt: t0, AgreementAccepted: true, PlanName: "Standard"}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	flat := tandem.Rule{Key: "sales", Name: "Sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage, Rate: pct("20"), HoldDays: 30}
	lead := tandem.Rule{Key: "lead", Triggers: []tandem.Trigger{tandem.TriggerLeadQualified}, Kind: tandem.KindFixed, Amount: 5000}
	quarterTiers := tandem.Rule{Key: "tiers", Name: "Tiers", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage,
		Basis: tandem.TierPeriodCount, Period: tandem.PeriodQuarter,
		Steps: []tandem.Step{{Threshold: 0, Rate: pct("20")}, {Threshold: 10, Rate: pct("25")}, {Threshold: 20, Rate: pct("30")}}}
	marginal := tandem.Rule{Key: "marg", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage,
		Basis: tandem.TierLifetimeRev, Mode: tandem.TierMarginal,
		Steps: []tandem.Step{{Threshold: 0, Rate: pct("10")}, {Threshold: 100000, Rate: pct("20")}}}
	schedule := tandem.Rule{Key: "sched", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRenewal}, Kind: tandem.KindPercentage,
		Basis: tandem.TierCustomerMonths, RecurringMonths: 12,
		Steps: []tandem.Step{{Threshold: 0, Rate: pct("40")}, {Threshold: 3, Rate: pct("20")}}}
	proOnly := tandem.Rule{Key: "pro", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage, Rate: pct("30"), Include: []string{"pro"}}
	retention := tandem.Rule{Key: "ret", Role: tandem.RoleBonus, Triggers: []tandem.Trigger{tandem.TriggerRepeatSale}, Kind: tandem.KindFixed, Amount: 1000}
	bonusMilestone := tandem.Rule{Key: "m10k", Name: "10k club", Triggers: []tandem.Trigger{tandem.TriggerMilestone}, Threshold: 1_000_000, Reward: tandem.MilestoneBonus, Amount: 50000}
	boostMilestone := tandem.Rule{Key: "boost", Triggers: []tandem.Trigger{tandem.TriggerMilestone}, Threshold: 1_000_000, Reward: tandem.MilestoneRateIncrease, RateIncrease: pct("5")}
	minSale := tandem.Rule{Key: "min", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindFixed, Amount: 700, MinSale: 5000}
	manual := tandem.Rule{Key: "big", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage, Rate: pct("50"), ManualApprovalOver: 10000}
	gift := tandem.Rule{Key: "gift", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindFixed, Amount: 1, RewardKind: tandem.RewardGift, Gift: "Team hoodie"}
	lifetime := Window{}
	q1 := PeriodWindow(tandem.PeriodQuarter, t0, time.UTC)

	tests := []struct {
		name    string
		rules   []tandem.Rule
		in      func(*Input)
		amounts []int64
		want    string // a substring of the first explanation, or of NoCommission
		blocked tandem.Blocker
	}{
		{"percentage of a sale", []tandem.Rule{flat}, nil, []int64{2980}, `20% of 149.00 USD, Standard v1, rule "Sales"`, ""},
		{"rounding half away from zero", []tandem.Rule{flat}, func(in *Input) { in.Amount = 1 + 1 }, nil, "", ""}, // 0.4 cents rounds to 0
		{"odd cents round up at half", []tandem.Rule{{Key: "h", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage, Rate: pct("12.5")}},
			func(in *Input) { in.Amount = 4 }, []int64{1}, "12.5% of 0.04 USD", ""},
		{"lead fee", []tandem.Rule{flat, lead}, func(in *Input) { in.Kind, in.Amount = tandem.ConversionLeadQualified, 0 }, []int64{5000}, "50.00 USD: fixed amount", ""},
		{"lead and sale are separate", []tandem.Rule{lead, flat}, nil, []int64{2980}, "20%", ""},
		{"tier 2 by customers this quarter", []tandem.Rule{quarterTiers}, func(in *Input) { in.Volumes = map[Window]Volume{q1: {Customers: 11}} },
			[]int64{3725}, "tier 2: 12 customers this quarter", ""},
		{"tier 1 below the threshold", []tandem.Rule{quarterTiers}, func(in *Input) { in.Volumes = map[Window]Volume{q1: {Customers: 8}} },
			[]int64{2980}, "tier 1: 9 customers", ""},
		{"marginal tiers split the sale", []tandem.Rule{marginal}, func(in *Input) { in.Amount = 50000; in.Volumes = map[Window]Volume{lifetime: {Revenue: 80000}} },
			[]int64{2000 + 6000}, "10% of 200.00 USD (tier 1) + 20% of 300.00 USD (tier 2)", ""},
		{"rate schedule month 1", []tandem.Rule{schedule}, nil, []int64{5960}, "40% of 149.00 USD, tier 1: month 1", ""},
		{"rate schedule month 4 renewal", []tandem.Rule{schedule}, func(in *Input) {
			in.Kind, in.FirstSale, in.FirstSaleAt = tandem.ConversionRenewal, false, t0.AddDate(0, -3, 0)
		}, []int64{2980}, "tier 2: month 4", ""},
		{"recurring ends after 12 months", []tandem.Rule{schedule}, func(in *Input) {
			in.Kind, in.FirstSale, in.FirstSaleAt = tandem.ConversionRenewal, false, t0.AddDate(-1, 0, 0)
		}, nil, "pays renewals for 12 months", ""},
		{"product filter falls through to next base rule", []tandem.Rule{proOnly, flat}, func(in *Input) { in.Product = "basic" }, []int64{2980}, `rule "Sales"`, ""},
		{"product filter matches", []tandem.Rule{proOnly, flat}, func(in *Input) { in.Product = "PRO" }, []int64{4470}, "30%", ""},
		{"retention bonus on a repeat sale", []tandem.Rule{flat, retention}, func(in *Input) { in.FirstSale = false }, []int64{2980, 1000}, "20%", ""},
		{"no retention bonus on a first sale", []tandem.Rule{flat, retention}, nil, []int64{2980}, "20%", ""},
		{"milestone bonus when crossing", []tandem.Rule{flat, bonusMilestone}, func(in *Input) { in.Volumes = map[Window]Volume{lifetime: {Revenue: 990_000}} },
			[]int64{2980, 50000}, "20%", ""},
		{"milestone bonus only once", []tandem.Rule{flat, bonusMilestone}, func(in *Input) {
			in.Volumes = map[Window]Volume{lifetime: {Revenue: 990_000}}
			in.Awarded = map[string]bool{"m10k": true}
		}, []int64{2980}, "20%", ""},
		{"rate increase after the milestone", []tandem.Rule{flat, boostMilestone}, func(in *Input) { in.Volumes = map[Window]Volume{lifetime: {Revenue: 1_000_000}} },
			[]int64{3725}, "25% of 149.00 USD (+5 points since passing 10000.00 USD", ""},
		{"no rate increase before crossing", []tandem.Rule{flat, boostMilestone}, func(in *Input) { in.Volumes = map[Window]Volume{lifetime: {Revenue: 999_999}} },
			[]int64{2980}, "20% of 149.00", ""},
		{"minimum sale", []tandem.Rule{minSale}, func(in *Input) { in.Amount = 4999 }, nil, "needs a sale of at least 50.00 USD", ""},
		{"minimum sale met", []tandem.Rule{minSale}, func(in *Input) { in.Amount = 5000 }, []int64{700}, "7.00 USD: fixed amount", ""},
		{"held for manual approval", []tandem.Rule{manual}, func(in *Input) { in.Amount = 30000 }, []int64{15000}, "50%", tandem.BlockedManual},
		{"held for the agreement", []tandem.Rule{flat}, func(in *Input) { in.AgreementAccepted = false }, []int64{2980}, "20%", tandem.BlockedAgreement},
		{"gift", []tandem.Rule{gift}, nil, []int64{1}, "gift: Team hoodie", ""},
		{"refund earns nothing", []tandem.Rule{flat}, func(in *Input) { in.Kind = tandem.ConversionRefund }, nil, "A refund earns no commission", ""},
		{"no rule for renewals", []tandem.Rule{flat}, func(in *Input) { in.Kind = tandem.ConversionRenewal }, nil, "no rule for a renewal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sale(14900)
			in.Version = version(tt.rules...)
			if tt.in != nil {
				tt.in(&in)
			}
			out := Judge(in)
			var got []int64
			for _, c := range out.Commissions {
				got = append(got, c.Amount)
			}
			if len(got) != len(tt.amounts) {
				t.Fatalf("amounts = %v, want %v (%+v)", got, tt.amounts, out)
			}
			for i := range got {
				if got[i] != tt.amounts[i] {
					t.Fatalf("amounts = %v, want %v (%+v)", got, tt.amounts, out)
				}
			}
			text := out.NoCommission
			if len(out.Commissions) > 0 {
				text = out.Commissions[0].Explanation
				if out.Commissions[0].BlockedBy != tt.blocked {
					t.Errorf("blocked by %q, want %q", out.Commissions[0].BlockedBy, tt.blocked)
				}
				if want := in.OccurredAt.Add(time.Duration(tt.rules[0].HoldDays) * 24 * time.Hour); tt.rules[0].Triggers[0] != tandem.TriggerMilestone && !out.Commissions[0].HoldUntil.Equal(want) && out.Commissions[0].RuleKey == tt.rules[0].Key {
					t.Errorf("hold until %v, want %v", out.Commissions[0].HoldUntil, want)
				}
			} else if text == "" {
				t.Fatal("no commission and no reason")
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("explanation %q does not contain %q", text, tt.want)
			}
		})
	}
}

func TestNoPlan(t *testing.T) {
	t.Parallel()
	out := Judge(sale(100))
	if len(out.Commissions) != 0 || !strings.Contains(out.NoCommission, "no commission plan") {
		t.Fatalf("%+v", out)
	}
}

func TestMonthsBetween(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 10, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		a, b time.Time
		want int
	}{
		{d(2026, 1, 15), d(2026, 1, 15), 0},
		{d(2026, 1, 15), d(2026, 2, 14), 0},
		{d(2026, 1, 15), d(2026, 2, 15), 1},
		{d(2026, 1, 31), d(2026, 2, 28), 1}, // the month's last day
		{d(2026, 1, 31), d(2026, 2, 27), 0},
		{d(2026, 1, 31), d(2026, 3, 30), 1},
		{d(2026, 1, 31), d(2026, 3, 31), 2},
		{d(2025, 11, 1), d(2026, 11, 1), 12},
		{d(2026, 5, 1), d(2026, 4, 1), 0},
	} {
		if got := MonthsBetween(tt.a, tt.b, time.UTC); got != tt.want {
			t.Errorf("MonthsBetween(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPeriodWindow(t *testing.T) {
	t.Parallel()
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 31 March is already 1 April in Oslo: the second quarter.
	w := PeriodWindow(tandem.PeriodQuarter, time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), oslo)
	if want := time.Date(2026, 4, 1, 0, 0, 0, 0, oslo).UTC(); !w.Start.Equal(want) {
		t.Errorf("start %v, want %v", w.Start, want)
	}
	if want := time.Date(2026, 7, 1, 0, 0, 0, 0, oslo).UTC(); !w.End.Equal(want) {
		t.Errorf("end %v, want %v", w.End, want)
	}
}
