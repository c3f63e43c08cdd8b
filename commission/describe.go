package commission

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

// Describe says a rule in words, for partners and admins: "30% of first
// sales and renewals, from month 4 of the customer 20%; renewals for 12
// months; held 30 days".
func Describe(r *tandem.Rule, currency string) string {
	var parts []string
	price := func(rate decimal.Decimal, amount int64) string {
		if r.Kind == tandem.KindFixed {
			return tandem.FormatAmount(amount, currency)
		}
		return rate.String() + "%"
	}
	on := triggersInWords(r.Triggers, false)
	switch {
	case r.Matches(tandem.TriggerMilestone) && r.Reward == tandem.MilestoneBonus:
		parts = append(parts, fmt.Sprintf("a one-off bonus of %s when your customers' lifetime revenue reaches %s",
			tandem.FormatAmount(r.Amount, currency), tandem.FormatAmount(r.Threshold, currency)))
	case r.Matches(tandem.TriggerMilestone):
		parts = append(parts, fmt.Sprintf("+%s percentage points on every later sale once your customers' lifetime revenue reaches %s",
			r.RateIncrease, tandem.FormatAmount(r.Threshold, currency)))
	case r.Basis == tandem.TierNone && r.Kind == tandem.KindFixed:
		parts = append(parts, price(r.Rate, r.Amount)+" per "+triggersInWords(r.Triggers, true))
	case r.Basis == tandem.TierNone:
		parts = append(parts, price(r.Rate, r.Amount)+" of "+on)
	default:
		steps := make([]string, len(r.Steps))
		for i, s := range r.Steps {
			steps[i] = fmt.Sprintf("%s from %s", price(s.Rate, s.Amount), thresholdInWords(r, s.Threshold, currency))
		}
		mode := ""
		if r.Mode == tandem.TierMarginal {
			mode = ", each part of a sale at its own tier's rate"
		}
		parts = append(parts, fmt.Sprintf("on %s: %s%s", on, strings.Join(steps, ", "), mode))
	}
	if r.Role == tandem.RoleBonus && !r.Matches(tandem.TriggerMilestone) {
		parts[0] = "a bonus of " + parts[0]
	}
	if r.Matches(tandem.TriggerRenewal) && r.RecurringMonths > 0 {
		parts = append(parts, fmt.Sprintf("renewals for %d months", r.RecurringMonths))
	} else if r.Matches(tandem.TriggerRenewal) {
		parts = append(parts, "renewals for the customer's lifetime")
	}
	if r.MinSale > 0 {
		parts = append(parts, "sales of at least "+tandem.FormatAmount(r.MinSale, currency))
	}
	if len(r.Include) > 0 {
		parts = append(parts, "products "+strings.Join(r.Include, ", "))
	}
	if len(r.Exclude) > 0 {
		parts = append(parts, "not "+strings.Join(r.Exclude, ", "))
	}
	switch r.RewardKind {
	case tandem.RewardCredit:
		parts = append(parts, "paid as product credit")
	case tandem.RewardGift:
		parts = append(parts, "rewarded with "+r.Gift)
	}
	if r.HoldDays > 0 {
		parts = append(parts, fmt.Sprintf("held %d days", r.HoldDays))
	}
	return strings.Join(parts, "; ")
}

// triggersInWords lists triggers: "first sales and renewals", or one by one
// ("first sale or renewal").
func triggersInWords(ts []tandem.Trigger, each bool) string {
	words := map[tandem.Trigger]string{tandem.TriggerLeadQualified: "qualified leads", tandem.TriggerFirstSale: "first sales",
		tandem.TriggerRepeatSale: "repeat sales", tandem.TriggerRenewal: "renewals"}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		w := words[t]
		if each {
			w = strings.TrimSuffix(w, "s")
		}
		out = append(out, w)
	}
	if len(out) > 1 {
		and := " and "
		if each {
			and = " or "
		}
		return strings.Join(out[:len(out)-1], ", ") + and + out[len(out)-1]
	}
	return strings.Join(out, "")
}

func thresholdInWords(r *tandem.Rule, threshold int64, currency string) string {
	switch r.Basis {
	case tandem.TierPeriodRevenue:
		return tandem.FormatAmount(threshold, currency) + " revenue a " + string(r.Period)
	case tandem.TierPeriodCount:
		return fmt.Sprintf("%d customers a %s", threshold, r.Period)
	case tandem.TierLifetimeRev:
		return tandem.FormatAmount(threshold, currency) + " lifetime revenue"
	case tandem.TierLifetimeCount:
		return fmt.Sprintf("%d customers in all", threshold)
	default:
		return fmt.Sprintf("month %d of the customer", threshold+1)
	}
}
