package commission

import (
	"testing"

	"github.com/tandem-prm/tandem"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rule tandem.Rule
		want string
	}{
		{tandem.Rule{Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRenewal}, Kind: tandem.KindPercentage,
			Basis: tandem.TierCustomerMonths, RecurringMonths: 12, HoldDays: 30,
			Steps: []tandem.Step{{Threshold: 0, Rate: pct("30")}, {Threshold: 3, Rate: pct("20")}}},
			"on first sales and renewals: 30% from month 1 of the customer, 20% from month 4 of the customer; renewals for 12 months; held 30 days"},
		{tandem.Rule{Triggers: []tandem.Trigger{tandem.TriggerLeadQualified}, Kind: tandem.KindFixed, Amount: 5000},
			"50.00 USD per qualified lead"},
		{tandem.Rule{Role: tandem.RoleBonus, Triggers: []tandem.Trigger{tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage, Rate: pct("5"), MinSale: 1000, Include: []string{"pro"}},
			"a bonus of 5% of repeat sales; sales of at least 10.00 USD; products pro"},
		{tandem.Rule{Triggers: []tandem.Trigger{tandem.TriggerMilestone}, Reward: tandem.MilestoneBonus, Amount: 25000, Threshold: 500000},
			"a one-off bonus of 250.00 USD when your customers' lifetime revenue reaches 5000.00 USD"},
		{tandem.Rule{Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage, Basis: tandem.TierPeriodRevenue,
			Period: tandem.PeriodQuarter, Mode: tandem.TierMarginal, Steps: []tandem.Step{{Threshold: 0, Rate: pct("10")}, {Threshold: 100000, Rate: pct("15")}}},
			"on first sales: 10% from 0.00 USD revenue a quarter, 15% from 1000.00 USD revenue a quarter, each part of a sale at its own tier's rate"},
	} {
		if got := Describe(&tt.rule, "USD"); got != tt.want {
			t.Errorf("Describe =\n  %s\nwant\n  %s", got, tt.want)
		}
	}
}
