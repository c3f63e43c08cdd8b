package tandem

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// A commission plan says what partners earn. Each program has a default plan;
// a partner group or a single membership may point to another. A plan changes
// by publishing a new version: a conversion is judged by the version in force
// when it happened, so a change never rewrites what was already earned.

// Plan is a named commission plan of a program.
type Plan struct {
	ID        string    `json:"id"`
	ProgramID string    `json:"program_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Current is the version in force now (nil before the first one).
	Current *PlanVersion `json:"current,omitempty"`
}

// PlanVersion is one immutable set of rules of a plan, in force from
// EffectiveFrom until the next version's EffectiveFrom.
type PlanVersion struct {
	ID            string    `json:"id"`
	PlanID        string    `json:"plan_id"`
	Version       int       `json:"version"`
	EffectiveFrom time.Time `json:"effective_from"`
	Rules         []Rule    `json:"rules"`
	CreatedAt     time.Time `json:"created_at"`
}

// RuleRole says how a rule combines with the others: for each conversion the
// first matching base rule applies, and every matching bonus rule adds its
// own commission on top.
type RuleRole string

// Rule roles.
const (
	RoleBase  RuleRole = "base"
	RoleBonus RuleRole = "bonus"
)

// Trigger is the kind of conversion a rule earns on.
type Trigger string

// Triggers. A sale is a first sale when the customer had no sale before it;
// later sales are repeat sales (a retention bonus is a bonus rule on
// repeat_sale or renewal). Milestone rules earn when a partner's lifetime
// attributed revenue crosses a threshold.
const (
	TriggerLeadQualified Trigger = "lead_qualified"
	TriggerFirstSale     Trigger = "first_sale"
	TriggerRepeatSale    Trigger = "repeat_sale"
	TriggerRenewal       Trigger = "renewal"
	TriggerMilestone     Trigger = "milestone"
)

// RuleKind is how a rule computes its amount.
type RuleKind string

// Rule kinds: a percentage of the conversion's amount, or a fixed amount in
// the program's currency.
const (
	KindPercentage RuleKind = "percentage"
	KindFixed      RuleKind = "fixed"
)

// TierBasis is what selects a rule's step.
type TierBasis string

// Tier bases. Period and lifetime bases count the partner's attributed sales
// (revenue in minor units, or new customers) including the conversion being
// judged. CustomerMonth is a rate schedule by whole calendar months since the
// customer's first sale ("40 % for 3 months, then 20 %").
const (
	TierNone           TierBasis = ""
	TierPeriodRevenue  TierBasis = "period_revenue"
	TierPeriodCount    TierBasis = "period_customers"
	TierLifetimeRev    TierBasis = "lifetime_revenue"
	TierLifetimeCount  TierBasis = "lifetime_customers"
	TierCustomerMonths TierBasis = "customer_month"
)

// Period is a calendar period in the program's time zone.
type Period string

// Periods.
const (
	PeriodMonth   Period = "month"
	PeriodQuarter Period = "quarter"
	PeriodYear    Period = "year"
)

// TierMode says how a revenue tier applies: to the whole conversion at the
// rate of the step reached (whole_volume), or to each part of the conversion
// at the rate of the step that part falls in (marginal).
type TierMode string

// Tier modes.
const (
	TierWhole    TierMode = "whole_volume"
	TierMarginal TierMode = "marginal"
)

// RewardKind is what a commission pays in. Cash is paid out; product credit
// is paid as credit on the partner's own account; a gift is tracked and
// fulfilled by hand. Only cash and credit move money on the ledger.
type RewardKind string

// Reward kinds.
const (
	RewardCash   RewardKind = "cash"
	RewardCredit RewardKind = "credit"
	RewardGift   RewardKind = "gift"
)

// MilestoneReward is what crossing a milestone gives.
type MilestoneReward string

// Milestone rewards: a one-off bonus (the rule's amount), or a permanent
// increase of the partner's percentage rates for conversions after the
// crossing.
const (
	MilestoneBonus        MilestoneReward = "bonus"
	MilestoneRateIncrease MilestoneReward = "rate_increase"
)

// Step is one tier of a rule: from Threshold up (in minor units, customers
// or months, by the rule's basis) the rule pays Rate percent or Amount.
type Step struct {
	Threshold int64           `json:"threshold"`
	Rate      decimal.Decimal `json:"rate,omitzero"`
	Amount    int64           `json:"amount,omitempty"`
}

// Rule is one line of a plan version.
type Rule struct {
	// Key names the rule uniquely within its plan, across versions (a
	// commission records it; a milestone is awarded once per key).
	Key      string          `json:"key"`
	Name     string          `json:"name,omitempty"`
	Role     RuleRole        `json:"role,omitempty" enum:"base,bonus"`
	Triggers []Trigger       `json:"triggers" enum:"lead_qualified,first_sale,repeat_sale,renewal,milestone"`
	Kind     RuleKind        `json:"kind,omitempty" enum:"percentage,fixed"`
	Rate     decimal.Decimal `json:"rate,omitzero"`    // percent: 20 means 20 %
	Amount   int64           `json:"amount,omitempty"` // minor units, for fixed rules and milestone bonuses
	// Tiers, when Basis is set: Steps sorted by Threshold, the first at 0.
	Basis  TierBasis `json:"tier_basis,omitempty" enum:"period_revenue,period_customers,lifetime_revenue,lifetime_customers,customer_month"`
	Period Period    `json:"tier_period,omitempty" enum:"month,quarter,year"`
	Mode   TierMode  `json:"tier_mode,omitempty" enum:"whole_volume,marginal"`
	Steps  []Step    `json:"steps,omitempty"`
	// RecurringMonths limits renewal commissions to renewals within this
	// many months of the customer's first sale; 0 means for the customer's
	// lifetime.
	RecurringMonths int `json:"recurring_months,omitempty"`
	// MinSale is the smallest conversion amount that earns (0: any).
	MinSale int64 `json:"min_sale,omitempty"`
	// Products: if Include is set only those products earn; Exclude never do.
	Include []string `json:"include_products,omitempty"`
	Exclude []string `json:"exclude_products,omitempty"`
	// Milestone rules: the lifetime revenue threshold and the reward.
	Threshold    int64           `json:"milestone_threshold,omitempty"`
	Reward       MilestoneReward `json:"milestone_reward,omitempty" enum:"bonus,rate_increase"`
	RateIncrease decimal.Decimal `json:"rate_increase,omitzero"` // percentage points
	// What the commission pays in, and how long it is held.
	RewardKind RewardKind `json:"reward_kind,omitempty" enum:"cash,credit,gift"`
	Gift       string     `json:"gift,omitempty"`
	HoldDays   int        `json:"hold_days,omitempty"`
	// ManualApprovalOver holds commissions above this amount until a finance
	// user approves them (0: never).
	ManualApprovalOver int64 `json:"manual_approval_over,omitempty"`
}

// Limits of a plan version.
const (
	MaxRules    = 50
	MaxSteps    = 20
	MaxHoldDays = 365
)

var maxRate = decimal.NewFromInt(100)

// ValidateRules checks a version's rules and fills defaults (role base,
// reward cash, tier mode whole_volume). Errors name the field as
// rules[i].field.
func ValidateRules(rules []Rule) error {
	if len(rules) == 0 {
		return Invalidf("rules", "A plan needs at least one rule.")
	}
	if len(rules) > MaxRules {
		return Invalidf("rules", "A plan has at most %d rules.", MaxRules)
	}
	keys := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		if err := RequireText(f("key"), "Key", &r.Key, 40); err != nil {
			return err
		}
		if keys[r.Key] {
			return Invalidf(f("key"), "Rule key %q is used twice.", r.Key)
		}
		keys[r.Key] = true
		if r.Name == "" {
			r.Name = r.Key
		}
		if err := RequireText(f("name"), "Name", &r.Name, 120); err != nil {
			return err
		}
		if r.Role == "" {
			r.Role = RoleBase
		}
		if r.Role != RoleBase && r.Role != RoleBonus {
			return Invalidf(f("role"), "Role must be base or bonus.")
		}
		if r.RewardKind == "" {
			r.RewardKind = RewardCash
		}
		switch r.RewardKind {
		case RewardCash, RewardCredit:
		case RewardGift:
			if err := RequireText(f("gift"), "Gift", &r.Gift, 200); err != nil {
				return err
			}
		default:
			return Invalidf(f("reward_kind"), "Reward kind must be cash, credit or gift.")
		}
		if len(r.Triggers) == 0 {
			return Invalidf(f("triggers"), "A rule needs at least one trigger.")
		}
		for _, t := range r.Triggers {
			switch t {
			case TriggerLeadQualified, TriggerFirstSale, TriggerRepeatSale, TriggerRenewal:
			case TriggerMilestone:
				if len(r.Triggers) != 1 {
					return Invalidf(f("triggers"), "A milestone rule has no other trigger.")
				}
			default:
				return Invalidf(f("triggers"), "Unknown trigger %q.", t)
			}
		}
		if r.HoldDays < 0 || r.HoldDays > MaxHoldDays {
			return Invalidf(f("hold_days"), "Hold days must be between 0 and %d.", MaxHoldDays)
		}
		if r.MinSale < 0 || r.MinSale > MaxAmount || r.ManualApprovalOver < 0 || r.ManualApprovalOver > MaxAmount {
			return Invalidf(f("min_sale"), "Amounts must be between 0 and %d.", int64(MaxAmount))
		}
		if r.RecurringMonths < 0 || r.RecurringMonths > 1200 {
			return Invalidf(f("recurring_months"), "Recurring months must be between 0 (lifetime) and 1200.")
		}
		if r.Triggers[0] == TriggerMilestone {
			if err := r.validateMilestone(f); err != nil {
				return err
			}
			continue
		}
		if err := r.validateAmount(f); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validateMilestone(f func(string) string) error {
	if r.Threshold <= 0 || r.Threshold > MaxAmount {
		return Invalidf(f("milestone_threshold"), "A milestone needs a revenue threshold above zero.")
	}
	switch r.Reward {
	case MilestoneBonus:
		if r.Amount <= 0 || r.Amount > MaxAmount {
			return Invalidf(f("amount"), "A milestone bonus needs an amount above zero.")
		}
	case MilestoneRateIncrease:
		if !r.RateIncrease.IsPositive() || r.RateIncrease.GreaterThan(maxRate) {
			return Invalidf(f("rate_increase"), "A rate increase is between 0 and 100 percentage points.")
		}
		if r.RewardKind == RewardGift {
			return Invalidf(f("reward_kind"), "A rate increase cannot be a gift.")
		}
	default:
		return Invalidf(f("milestone_reward"), "Milestone reward must be bonus or rate_increase.")
	}
	r.Role = RoleBonus
	return nil
}

func (r *Rule) validateAmount(f func(string) string) error {
	switch r.Kind {
	case KindPercentage, KindFixed:
	default:
		return Invalidf(f("kind"), "Kind must be percentage or fixed.")
	}
	checkStep := func(field string, rate decimal.Decimal, amount int64) error {
		if r.Kind == KindPercentage && (rate.IsNegative() || rate.GreaterThan(maxRate) || rate.Exponent() < -4) {
			return Invalidf(f(field), "A rate is a percentage between 0 and 100 with at most 4 decimals.")
		}
		if r.Kind == KindFixed && (amount < 0 || amount > MaxAmount) {
			return Invalidf(f(field), "A fixed amount is between 0 and %d minor units.", int64(MaxAmount))
		}
		return nil
	}
	switch r.Basis {
	case TierNone:
		if len(r.Steps) > 0 {
			return Invalidf(f("steps"), "Steps need a tier basis.")
		}
		return checkStep(map[RuleKind]string{KindPercentage: "rate", KindFixed: "amount"}[r.Kind], r.Rate, r.Amount)
	case TierPeriodRevenue, TierPeriodCount:
		switch r.Period {
		case PeriodMonth, PeriodQuarter, PeriodYear:
		default:
			return Invalidf(f("tier_period"), "Tier period must be month, quarter or year.")
		}
	case TierLifetimeRev, TierLifetimeCount, TierCustomerMonths:
		r.Period = ""
	default:
		return Invalidf(f("tier_basis"), "Unknown tier basis %q.", r.Basis)
	}
	if r.Mode == "" {
		r.Mode = TierWhole
	}
	if r.Mode != TierWhole && r.Mode != TierMarginal {
		return Invalidf(f("tier_mode"), "Tier mode must be whole_volume or marginal.")
	}
	if r.Mode == TierMarginal && (r.Kind != KindPercentage || r.Basis != TierPeriodRevenue && r.Basis != TierLifetimeRev) {
		return Invalidf(f("tier_mode"), "Marginal tiers apply to percentage rules on revenue.")
	}
	if len(r.Steps) == 0 || len(r.Steps) > MaxSteps {
		return Invalidf(f("steps"), "Tiers need 1 to %d steps.", MaxSteps)
	}
	if r.Steps[0].Threshold != 0 {
		return Invalidf(f("steps"), "The first step starts at 0.")
	}
	for j, s := range r.Steps {
		if j > 0 && s.Threshold <= r.Steps[j-1].Threshold {
			return Invalidf(f("steps"), "Step thresholds must increase.")
		}
		if err := checkStep(fmt.Sprintf("steps[%d]", j), s.Rate, s.Amount); err != nil {
			return err
		}
	}
	return nil
}

// Matches reports whether the rule earns on the trigger.
func (r *Rule) Matches(t Trigger) bool { return slices.Contains(r.Triggers, t) }
