package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

// The demo's money: commission plans, coupons, six months of sales and
// monthly renewals reported through the conversion service (so every one is
// attributed, judged and posted by the real engine), then the hold job's
// approvals, a partial refund, a clawback after approval, a full refund, a
// cancellation and a rejection, so that commissions show in every status.

// moneyMonths is how far back the demo's sales go.
const moneyMonths = 6

func referralPlan() []tandem.Rule {
	return []tandem.Rule{
		{Key: "lead", Name: "Qualified lead", Triggers: []tandem.Trigger{tandem.TriggerLeadQualified}, Kind: tandem.KindFixed, Amount: 5000, HoldDays: 14},
		{Key: "sales", Name: "Subscriptions", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRenewal},
			Kind: tandem.KindPercentage, Basis: tandem.TierCustomerMonths, RecurringMonths: 12,
			Steps:    []tandem.Step{{Threshold: 0, Rate: decimal.NewFromInt(30)}, {Threshold: 3, Rate: decimal.NewFromInt(20)}},
			HoldDays: 30, ManualApprovalOver: 100000},
		{Key: "upsell", Name: "Add-ons", Triggers: []tandem.Trigger{tandem.TriggerRepeatSale}, Kind: tandem.KindPercentage,
			Rate: decimal.NewFromInt(10), HoldDays: 30},
		{Key: "retention", Name: "Retention bonus", Role: tandem.RoleBonus, Triggers: []tandem.Trigger{tandem.TriggerRenewal},
			Kind: tandem.KindFixed, Amount: 500, Include: []string{"annual"}, HoldDays: 30},
		{Key: "club", Name: "5k club", Triggers: []tandem.Trigger{tandem.TriggerMilestone}, Threshold: 500000,
			Reward: tandem.MilestoneBonus, Amount: 25000, HoldDays: 30},
	}
}

func affiliatePlan() []tandem.Rule {
	return []tandem.Rule{
		{Key: "sales", Name: "Sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale},
			Kind: tandem.KindPercentage, Basis: tandem.TierPeriodCount, Period: tandem.PeriodMonth,
			Steps:   []tandem.Step{{Threshold: 0, Rate: decimal.NewFromInt(15)}, {Threshold: 5, Rate: decimal.NewFromInt(20)}},
			MinSale: 2000, HoldDays: 14},
		{Key: "renewals", Name: "Renewals", Triggers: []tandem.Trigger{tandem.TriggerRenewal}, Kind: tandem.KindPercentage,
			Rate: decimal.NewFromInt(10), RecurringMonths: 6, HoldDays: 14},
	}
}

// demoSale is one sale the demo reports, with the renewals that follow it.
type demoSale struct {
	event    tandem.ConversionInput
	renewals int
}

// addMoney reports the demo's conversions and returns how many it recorded.
func addMoney(ctx context.Context, s Services, programs []*tandem.Program, now time.Time) (int, error) {
	if s.Conversions == nil {
		return 0, nil
	}
	r := rand.New(rand.NewPCG(7, 11)) // fixed: the same demo every time
	total := 0
	for i, p := range programs {
		rules := referralPlan()
		if i > 0 {
			rules = affiliatePlan()
		}
		if _, err := s.Plans.CreatePlan(ctx, p.ID, "Standard", rules, now.AddDate(0, -moneyMonths-1, 0)); err != nil {
			return 0, fmt.Errorf("plan: %w", err)
		}
		members, err := s.Partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: p.ID, Status: tandem.MembershipApproved})
		if err != nil {
			return 0, err
		}
		var coupons []string
		for _, m := range members {
			partner, err := s.Partners.FindPartnerByID(ctx, m.PartnerID)
			if err != nil {
				return 0, err
			}
			code := strings.ToUpper(strings.Fields(partner.Name)[0]) + fmt.Sprint(10+5*i)
			if _, err := s.Coupons.CreateCoupon(ctx, p.ID, m.PartnerID, code); err != nil {
				return 0, fmt.Errorf("coupon %s: %w", code, err)
			}
			coupons = append(coupons, code)
		}
		n, err := reportSales(ctx, s, p, coupons, r, now)
		if err != nil {
			return 0, fmt.Errorf("demo sales in %s: %w", p.Slug, err)
		}
		total += n
	}
	return total, nil
}

// reportSales reports six months of sales and renewals in time order, then
// lets the hold job approve what is due and adds the refunds, the
// cancellation and the rejection.
func reportSales(ctx context.Context, s Services, p *tandem.Program, coupons []string, r *rand.Rand, now time.Time) (int, error) {
	var events []tandem.ConversionInput
	start := now.AddDate(0, -moneyMonths, 0)
	for c := range 40 + r.IntN(10) {
		at := start.Add(time.Duration(r.Int64N(int64(now.Sub(start)) - int64(48*time.Hour))))
		product, amount := "monthly", int64(4900+100*r.Int64N(50))
		if r.IntN(4) == 0 {
			product, amount = "annual", amount*10
		}
		sale := tandem.ConversionInput{ProgramID: p.ID, Kind: tandem.ConversionSale, Source: tandem.SourceDemo,
			EventID: fmt.Sprintf("demo_%s_in_%03d", p.Slug, c), CustomerID: fmt.Sprintf("demo_cus_%03d", c),
			CustomerEmail: fmt.Sprintf("customer%03d@example.com", c), Amount: amount, Currency: p.Currency, OccurredAt: at, Product: product}
		if r.IntN(6) > 0 && len(coupons) > 0 { // most come through a partner; the rest stay unattributed
			sale.Coupon = coupons[r.IntN(len(coupons))]
		}
		events = append(events, sale)
		for m := 1; product == "monthly"; m++ {
			next := at.AddDate(0, m, 0)
			if next.After(now) {
				break
			}
			renewal := sale
			renewal.Kind, renewal.Coupon, renewal.OccurredAt = tandem.ConversionRenewal, "", next
			renewal.EventID = fmt.Sprintf("%s_r%02d", sale.EventID, m)
			events = append(events, renewal)
		}
		if r.IntN(8) == 0 { // an add-on bought later
			add := sale
			add.EventID, add.Coupon, add.Product, add.Amount = sale.EventID+"_addon", "", "addon", 2900
			add.OccurredAt = at.Add(time.Duration(1+r.IntN(20)) * 24 * time.Hour)
			if add.OccurredAt.Before(now) {
				events = append(events, add)
			}
		}
	}
	slices.SortStableFunc(events, func(a, b tandem.ConversionInput) int { return a.OccurredAt.Compare(b.OccurredAt) })
	cancelled := map[string]bool{}
	recorded := 0
	for _, e := range events {
		if cancelled[e.CustomerID] {
			continue
		}
		if _, err := s.Conversions.RecordConversion(ctx, e, ""); err != nil {
			return recorded, fmt.Errorf("%s: %w", e.EventID, err)
		}
		recorded++
		// A few monthly customers leave after some renewals.
		if e.Kind == tandem.ConversionRenewal && r.IntN(15) == 0 {
			cancel := tandem.ConversionInput{ProgramID: p.ID, Kind: tandem.ConversionCancellation, Source: tandem.SourceDemo,
				EventID: e.CustomerID + "_cancelled", CustomerID: e.CustomerID, OccurredAt: e.OccurredAt.Add(time.Hour)}
			if _, err := s.Conversions.RecordConversion(ctx, cancel, ""); err != nil {
				return recorded, fmt.Errorf("%s: %w", cancel.EventID, err)
			}
			cancelled[e.CustomerID] = true
			recorded++
		}
	}
	if _, err := s.Commissions.ApproveDue(ctx, 10000); err != nil {
		return recorded, err
	}
	// Refunds: a full one of an approved sale (a clawback), a partial one of
	// a recent sale (its pending commission shrinks), a full one of a recent
	// sale (its commission is reversed).
	var old, recent []tandem.ConversionInput
	for _, e := range events {
		if e.Kind != tandem.ConversionSale || e.Coupon == "" || cancelled[e.CustomerID] {
			continue
		}
		if now.Sub(e.OccurredAt) > 60*24*time.Hour {
			old = append(old, e)
		} else if now.Sub(e.OccurredAt) < 20*24*time.Hour {
			recent = append(recent, e)
		}
	}
	var refunds []tandem.ConversionInput
	refund := func(e tandem.ConversionInput, amount int64) {
		refunds = append(refunds, tandem.ConversionInput{ProgramID: p.ID, Kind: tandem.ConversionRefund, Source: tandem.SourceDemo,
			EventID: e.EventID + "_refund", Parent: e.EventID, Amount: amount, OccurredAt: now.Add(-time.Hour)})
	}
	if len(old) > 0 {
		refund(old[0], 0)
	}
	if len(recent) > 1 {
		refund(recent[0], recent[0].Amount/3)
		refund(recent[1], 0)
	}
	for _, e := range refunds {
		if _, err := s.Conversions.RecordConversion(ctx, e, ""); err != nil {
			return recorded, fmt.Errorf("%s: %w", e.EventID, err)
		}
		recorded++
	}
	// Finance rejects one pending commission, with the reason the partner sees.
	pending, err := s.Commissions.Commissions(ctx, tandem.CommissionFilter{ProgramID: p.ID, Status: tandem.CommissionPending, Limit: 5})
	if err != nil {
		return recorded, err
	}
	if len(pending) > 2 {
		if _, err := s.Commissions.Reject(ctx, []string{pending[2].ID}, "The customer is the partner's own company: self-referrals do not earn."); err != nil {
			return recorded, err
		}
	}
	return recorded, nil
}
