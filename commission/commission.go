// Package commission is Tandem's commission engine: given one conversion, the
// plan version in force when it happened and what is known of the partner's
// history, it computes the commissions earned, each with an explanation in
// words; given a refund, it computes what each commission gives back. It is
// plain Go with no SQL or HTTP, so every rule can be tested exhaustively.
//
// # How a conversion is judged
//
// The conversion's trigger is lead_qualified, first_sale (the customer's
// first sale), repeat_sale or renewal. Among the version's rules that match
// the trigger and the conversion (product filters, minimum sale, the
// recurring limit of renewals), the first base rule by position earns, and
// every bonus rule earns on top. A milestone rule earns its bonus once per
// partner, on the conversion that takes the partner's lifetime revenue to its
// threshold; a rate-increase milestone, once crossed, adds its points to every
// percentage rule for later conversions.
//
// Volumes (revenue and new customers) are the partner's attributed sales
// recorded before this conversion in the window of the rule's basis, plus
// this conversion: a tier is chosen by the volume including the sale being
// judged. Amounts are integer minor units; a percentage is computed exactly
// and rounded once, half away from zero, to the minor unit.
package commission

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

// Window is a period of a partner's history that a tier or milestone counts:
// a calendar month, quarter or year in the program's time zone, or the whole
// lifetime (Period empty, Start zero).
type Window struct {
	Period tandem.Period
	Start  time.Time
	End    time.Time
}

// Volume is what a partner brought in a window before the conversion being
// judged: attributed revenue (sales and renewals less refunds, in the
// program's currency) and customers whose first sale falls in the window.
type Volume struct {
	Revenue   int64
	Customers int64
}

// Input is what Judge needs to know about one conversion.
type Input struct {
	Kind       tandem.ConversionKind
	Amount     int64 // in the program's currency
	Currency   string
	OccurredAt time.Time
	Product    string
	// FirstSale is true when the conversion is its customer's first sale;
	// FirstSaleAt is when that first sale happened (the conversion's own time
	// for a first sale), the anchor of recurring limits and rate schedules.
	FirstSale   bool
	FirstSaleAt time.Time
	Location    *time.Location
	// Version is the plan version in force at OccurredAt; nil if the program
	// has none.
	Version  *tandem.PlanVersion
	PlanName string
	// Volumes holds the partner's volume in each window that Windows asked for.
	Volumes map[Window]Volume
	// Awarded holds the keys of the milestone rules already awarded to the
	// partner.
	Awarded map[string]bool
	// AgreementAccepted is false while the partner has not accepted the
	// program's current agreement: commissions are then held until they do.
	AgreementAccepted bool
}

// Outcome is what a conversion earns. When it earns nothing, NoCommission
// says why.
type Outcome struct {
	Commissions  []tandem.Commission
	NoCommission string
}

// Trigger returns the rule trigger of a conversion, or "" for refunds and
// cancellations, which earn nothing.
func Trigger(kind tandem.ConversionKind, firstSale bool) tandem.Trigger {
	switch kind {
	case tandem.ConversionLeadQualified:
		return tandem.TriggerLeadQualified
	case tandem.ConversionSale:
		if firstSale {
			return tandem.TriggerFirstSale
		}
		return tandem.TriggerRepeatSale
	case tandem.ConversionRenewal:
		return tandem.TriggerRenewal
	}
	return ""
}

// Windows returns the windows whose volumes Judge needs for a conversion at
// the given time under the version: the periods of its tiered rules, and the
// lifetime for lifetime tiers and milestones.
func Windows(v *tandem.PlanVersion, at time.Time, loc *time.Location) []Window {
	if v == nil {
		return nil
	}
	var out []Window
	add := func(w Window) {
		for _, have := range out {
			if have == w {
				return
			}
		}
		out = append(out, w)
	}
	for i := range v.Rules {
		r := &v.Rules[i]
		switch {
		case r.Basis == tandem.TierPeriodRevenue || r.Basis == tandem.TierPeriodCount:
			add(PeriodWindow(r.Period, at, loc))
		case r.Basis == tandem.TierLifetimeRev || r.Basis == tandem.TierLifetimeCount || r.Matches(tandem.TriggerMilestone):
			add(Window{})
		}
	}
	return out
}

// PeriodWindow returns the calendar period holding at, in loc.
func PeriodWindow(p tandem.Period, at time.Time, loc *time.Location) Window {
	t := at.In(loc)
	y, m := t.Year(), t.Month()
	var start, end time.Time
	switch p {
	case tandem.PeriodYear:
		start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		end = start.AddDate(1, 0, 0)
	case tandem.PeriodQuarter:
		start = time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 3, 0)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 1, 0)
	}
	return Window{Period: p, Start: start.UTC(), End: end.UTC()}
}

// MonthsBetween counts the whole calendar months from a to b in loc (0 when
// b is less than a month after a; a month is reached on the same day of the
// month, or the month's last day when it is shorter).
func MonthsBetween(a, b time.Time, loc *time.Location) int {
	a, b = a.In(loc), b.In(loc)
	if b.Before(a) {
		return 0
	}
	n := (b.Year()-a.Year())*12 + int(b.Month()-a.Month())
	for n > 0 && addMonths(a, n).After(b) {
		n--
	}
	return n
}

// addMonths adds n calendar months to t, clamping the day to the month's end
// (31 January + 1 month is 28 or 29 February, not 2 or 3 March).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// Judge computes the commissions a conversion earns.
func Judge(in Input) Outcome {
	trigger := Trigger(in.Kind, in.FirstSale)
	if trigger == "" {
		return Outcome{NoCommission: fmt.Sprintf("A %s earns no commission.", in.Kind)}
	}
	if in.Version == nil {
		return Outcome{NoCommission: "The program has no commission plan in force at the time of the conversion."}
	}
	if in.Location == nil {
		in.Location = time.UTC
	}
	j := judge{in: in, trigger: trigger, lifetime: in.Volumes[Window{}]}
	j.rateBoost, j.boostNote = j.rateIncrease()
	var out Outcome
	baseDone := false
	var skipped []string
	for i := range in.Version.Rules {
		r := &in.Version.Rules[i]
		if r.Matches(tandem.TriggerMilestone) {
			if c, ok := j.milestone(r); ok {
				out.Commissions = append(out.Commissions, c)
			}
			continue
		}
		if !r.Matches(trigger) || r.Role == tandem.RoleBase && baseDone {
			continue
		}
		if why := j.excluded(r); why != "" {
			skipped = append(skipped, why)
			continue
		}
		c := j.earn(r)
		if r.Role == tandem.RoleBase {
			baseDone = true
		}
		if c.Amount > 0 {
			out.Commissions = append(out.Commissions, c)
		} else {
			skipped = append(skipped, fmt.Sprintf("rule %q computes to zero", r.Name))
		}
	}
	if len(out.Commissions) == 0 {
		switch {
		case len(skipped) > 0:
			out.NoCommission = "No rule earns: " + strings.Join(skipped, "; ") + "."
		default:
			out.NoCommission = fmt.Sprintf("The plan has no rule for a %s.", strings.ReplaceAll(string(trigger), "_", " "))
		}
	}
	return out
}

// judge holds what the rules of one conversion share.
type judge struct {
	in        Input
	trigger   tandem.Trigger
	lifetime  Volume
	rateBoost decimal.Decimal
	boostNote string
}

// rateIncrease sums the rate increases of the milestones the partner had
// already crossed before this conversion.
func (j *judge) rateIncrease() (decimal.Decimal, string) {
	boost := decimal.Zero
	var notes []string
	for i := range j.in.Version.Rules {
		r := &j.in.Version.Rules[i]
		if r.Matches(tandem.TriggerMilestone) && r.Reward == tandem.MilestoneRateIncrease && j.lifetime.Revenue >= r.Threshold {
			boost = boost.Add(r.RateIncrease)
			notes = append(notes, fmt.Sprintf("+%s points since passing %s (%s)", r.RateIncrease, tandem.FormatAmount(r.Threshold, j.in.Currency), r.Name))
		}
	}
	return boost, strings.Join(notes, ", ")
}

// excluded says why a rule matching the trigger does not apply, or "".
func (j *judge) excluded(r *tandem.Rule) string {
	in := j.in
	if len(r.Include) > 0 && !containsFold(r.Include, in.Product) {
		return fmt.Sprintf("rule %q is for other products", r.Name)
	}
	if containsFold(r.Exclude, in.Product) {
		return fmt.Sprintf("rule %q excludes product %q", r.Name, in.Product)
	}
	if r.MinSale > 0 && in.Kind != tandem.ConversionLeadQualified && in.Amount < r.MinSale {
		return fmt.Sprintf("rule %q needs a sale of at least %s", r.Name, tandem.FormatAmount(r.MinSale, in.Currency))
	}
	if j.trigger == tandem.TriggerRenewal && r.RecurringMonths > 0 && MonthsBetween(in.FirstSaleAt, in.OccurredAt, in.Location) >= r.RecurringMonths {
		return fmt.Sprintf("rule %q pays renewals for %d months after the first sale", r.Name, r.RecurringMonths)
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// earn computes one rule's commission.
func (j *judge) earn(r *tandem.Rule) tandem.Commission {
	in := j.in
	var amount int64
	var how string
	switch {
	case r.Basis == tandem.TierNone:
		amount, how = j.price(r, r.Rate, r.Amount, in.Amount)
	case r.Mode == tandem.TierMarginal:
		amount, how = j.marginal(r)
	default:
		level, what := j.level(r)
		i := stepAt(r.Steps, level)
		amount, how = j.price(r, r.Steps[i].Rate, r.Steps[i].Amount, in.Amount)
		how += fmt.Sprintf(", tier %d: %s", i+1, what)
	}
	kind := tandem.CommissionBase
	if r.Role == tandem.RoleBonus {
		kind = tandem.CommissionBonus
	}
	return j.commission(r, kind, amount, how)
}

// price applies a rate (percentage rules, plus any milestone rate increase)
// or a fixed amount to base.
func (j *judge) price(r *tandem.Rule, rate decimal.Decimal, fixed, base int64) (int64, string) {
	if r.Kind == tandem.KindFixed {
		return fixed, "fixed amount"
	}
	note := ""
	if j.rateBoost.IsPositive() && r.Role == tandem.RoleBase {
		rate = rate.Add(j.rateBoost)
		note = " (" + j.boostNote + ")"
	}
	return Percent(base, rate), fmt.Sprintf("%s%% of %s%s", rate, tandem.FormatAmount(base, j.in.Currency), note)
}

// Percent returns rate percent of amount, rounded half away from zero to the
// minor unit.
func Percent(amount int64, rate decimal.Decimal) int64 {
	return decimal.NewFromInt(amount).Mul(rate).Div(decimal.NewFromInt(100)).Round(0).IntPart()
}

// level returns where the partner stands on a tiered rule's basis, this
// conversion included, and says it in words.
func (j *judge) level(r *tandem.Rule) (int64, string) {
	in := j.in
	newCustomer := int64(0)
	if in.FirstSale {
		newCustomer = 1
	}
	revenue := in.Amount
	if in.Kind == tandem.ConversionLeadQualified {
		revenue = 0
	}
	switch r.Basis {
	case tandem.TierPeriodRevenue:
		v := in.Volumes[PeriodWindow(r.Period, in.OccurredAt, in.Location)].Revenue + revenue
		return v, fmt.Sprintf("%s revenue this %s", tandem.FormatAmount(v, in.Currency), r.Period)
	case tandem.TierPeriodCount:
		n := in.Volumes[PeriodWindow(r.Period, in.OccurredAt, in.Location)].Customers + newCustomer
		return n, fmt.Sprintf("%d customers this %s", n, r.Period)
	case tandem.TierLifetimeRev:
		v := j.lifetime.Revenue + revenue
		return v, fmt.Sprintf("%s lifetime revenue", tandem.FormatAmount(v, in.Currency))
	case tandem.TierLifetimeCount:
		n := j.lifetime.Customers + newCustomer
		return n, fmt.Sprintf("%d customers in all", n)
	default: // TierCustomerMonths
		m := int64(MonthsBetween(in.FirstSaleAt, in.OccurredAt, in.Location))
		return m, fmt.Sprintf("month %d of the customer", m+1)
	}
}

// marginal applies revenue tiers part by part: the part of this conversion
// that falls between two thresholds earns that step's rate.
func (j *judge) marginal(r *tandem.Rule) (int64, string) {
	in := j.in
	prior := j.lifetime.Revenue
	if r.Basis == tandem.TierPeriodRevenue {
		prior = in.Volumes[PeriodWindow(r.Period, in.OccurredAt, in.Location)].Revenue
	}
	from, to := prior, prior+in.Amount
	var total int64
	var parts []string
	exact := decimal.Zero
	for i, s := range r.Steps {
		lo := max(from, s.Threshold)
		hi := to
		if i+1 < len(r.Steps) {
			hi = min(to, r.Steps[i+1].Threshold)
		}
		if hi <= lo {
			continue
		}
		rate := s.Rate
		if j.rateBoost.IsPositive() && r.Role == tandem.RoleBase {
			rate = rate.Add(j.rateBoost)
		}
		exact = exact.Add(decimal.NewFromInt(hi - lo).Mul(rate).Div(decimal.NewFromInt(100)))
		parts = append(parts, fmt.Sprintf("%s%% of %s (tier %d)", rate, tandem.FormatAmount(hi-lo, in.Currency), i+1))
	}
	total = exact.Round(0).IntPart() // rounded once, over the sum of the parts
	return total, strings.Join(parts, " + ")
}

// stepAt returns the index of the last step whose threshold is at most level.
func stepAt(steps []tandem.Step, level int64) int {
	i := 0
	for k, s := range steps {
		if s.Threshold <= level {
			i = k
		}
	}
	return i
}

// milestone returns the one-off bonus of a milestone rule if this conversion
// takes the partner's lifetime revenue to its threshold and it was never
// awarded before.
func (j *judge) milestone(r *tandem.Rule) (tandem.Commission, bool) {
	in := j.in
	if r.Reward != tandem.MilestoneBonus || in.Awarded[r.Key] {
		return tandem.Commission{}, false
	}
	if in.Kind != tandem.ConversionSale && in.Kind != tandem.ConversionRenewal {
		return tandem.Commission{}, false
	}
	total := j.lifetime.Revenue + in.Amount
	if total < r.Threshold {
		return tandem.Commission{}, false
	}
	how := fmt.Sprintf("%s bonus for reaching %s lifetime revenue (now %s)",
		tandem.FormatAmount(r.Amount, in.Currency), tandem.FormatAmount(r.Threshold, in.Currency), tandem.FormatAmount(total, in.Currency))
	return j.commission(r, tandem.CommissionMilestone, r.Amount, how), true
}

// commission fills in what every commission of the conversion shares.
func (j *judge) commission(r *tandem.Rule, kind tandem.CommissionKind, amount int64, how string) tandem.Commission {
	in := j.in
	c := tandem.Commission{
		PlanVersionID: in.Version.ID, RuleKey: r.Key, Kind: kind, RewardKind: r.RewardKind,
		Amount: amount, Currency: in.Currency, Status: tandem.CommissionPending,
		OccurredAt: in.OccurredAt, HoldUntil: in.OccurredAt.Add(time.Duration(r.HoldDays) * 24 * time.Hour),
	}
	plan := in.PlanName
	if plan == "" {
		plan = "plan"
	}
	c.Explanation = fmt.Sprintf("%s: %s, %s v%d, rule %q", tandem.FormatAmount(amount, in.Currency), how, plan, in.Version.Version, r.Name)
	if r.RewardKind == tandem.RewardGift {
		c.Explanation += ", gift: " + r.Gift
	}
	c.ManualReview = r.ManualApprovalOver > 0 && amount > r.ManualApprovalOver
	switch {
	case !in.AgreementAccepted:
		c.BlockedBy = tandem.BlockedAgreement
	case c.ManualReview:
		c.BlockedBy = tandem.BlockedManual
	}
	return c
}

// Reversal is what one commission gives back for a refund.
type Reversal struct {
	CommissionID string
	Amount       int64
}

// Reverse computes what a refund takes back from the commissions of its sale.
// saleAmount is the sale's amount, refunded what was refunded before this
// refund and refund this refund's amount (refunded+refund ≤ saleAmount, which
// the caller checks). Each commission gives back its share in proportion to
// the refunded part of the sale, computed on the cumulative refunded amount
// so that partial refunds adding up to the whole sale take back exactly the
// whole commission, and never more than what it earned. Rejected and already
// fully reversed commissions give nothing back.
func Reverse(saleAmount, refunded, refund int64, commissions []*tandem.Commission) []Reversal {
	if saleAmount <= 0 || refund <= 0 {
		return nil
	}
	var out []Reversal
	for _, c := range commissions {
		if c.Status == tandem.CommissionRejected || c.Reversed >= c.Amount {
			continue
		}
		target := c.Amount
		if total := refunded + refund; total < saleAmount {
			target = decimal.NewFromInt(c.Amount).Mul(decimal.NewFromInt(total)).Div(decimal.NewFromInt(saleAmount)).Round(0).IntPart()
		}
		r := min(target-c.Reversed, c.Amount-c.Reversed)
		if r > 0 {
			out = append(out, Reversal{CommissionID: c.ID, Amount: r})
		}
	}
	return out
}
