package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
)

// addPayouts gives the demo partner of the referral program a history of
// money: sales through their link months ago, a payout batch paid by PayPal
// last month, and newer commissions in a batch proposed and waiting for
// finance. Finance sees both batches; the partner sees the payout, its
// statement and the next one.
func addPayouts(ctx context.Context, s Services, programID, partnerID string) (clicksMade int, err error) {
	if s.Payouts == nil || s.Conversions == nil {
		return 0, nil
	}
	links, err := s.Links.FindLinks(ctx, tandem.LinkFilter{PartnerID: partnerID, ProgramID: programID, Limit: 1})
	if err != nil || len(links) == 0 {
		return 0, fmt.Errorf("the demo partner's link: %v", err)
	}
	if err := s.Payouts.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: programID, Schedule: tandem.ScheduleMonthly, DayOfMonth: 1,
		NetDays: 0, Minimums: map[string]int64{"USD": 5000}}); err != nil {
		return 0, fmt.Errorf("payout settings: %w", err)
	}
	if _, err := s.Payouts.SetMethod(ctx, partnerID, tandem.MethodPayPal, map[string]string{"email": PartnerEmail}); err != nil {
		return 0, fmt.Errorf("payout method: %w", err)
	}
	sell := func(n int, daysAgo int, amount int64) error {
		at := time.Now().AddDate(0, 0, -daysAgo)
		click := tandem.NewID(tandem.PrefixClick)
		if err := s.Clicks.InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: links[0].ID, At: at.Add(-time.Hour), Visitor: fmt.Sprintf("demo-visitor-%d", n)}}); err != nil {
			return err
		}
		clicksMade++
		_, err := s.Conversions.RecordConversion(ctx, tandem.ConversionInput{ProgramID: programID, Kind: tandem.ConversionSale, Source: tandem.SourceDemo,
			EventID: fmt.Sprintf("demo_inv_%d", n), CustomerID: fmt.Sprintf("demo_customer_%d", n), ClickID: click, Amount: amount,
			Currency: "USD", OccurredAt: at, Product: "Fjordline Analytics Team"}, "")
		return err
	}
	// Sales 80 to 100 days ago: approved, and paid last month.
	for i, sale := range []struct {
		days   int
		amount int64
	}{{100, 49000}, {92, 129000}, {81, 49000}} {
		if err := sell(i, sale.days, sale.amount); err != nil {
			return 0, fmt.Errorf("sale: %w", err)
		}
	}
	if _, err := s.Commissions.ApproveDue(ctx, 100); err != nil {
		return 0, err
	}
	b, err := s.Payouts.Propose(ctx, programID)
	if err != nil {
		return 0, fmt.Errorf("first batch: %w", err)
	}
	if _, err := s.Payouts.ApproveBatch(ctx, b.ID); err != nil {
		return 0, fmt.Errorf("approve the first batch: %w", err)
	}
	for _, l := range b.Lines {
		if _, err := s.Payouts.StartSending(ctx, l.ID); err != nil {
			return 0, err
		}
	}
	if _, err := s.Payouts.MarkPaid(ctx, b.ID, nil, "PAYPAL-DEMO-5KX81"); err != nil {
		return 0, fmt.Errorf("pay the first batch: %w", err)
	}
	// Sales 40 to 60 days ago: approved, in the batch finance reviews now.
	for i, sale := range []struct {
		days   int
		amount int64
	}{{60, 89000}, {41, 49000}} {
		if err := sell(10+i, sale.days, sale.amount); err != nil {
			return 0, fmt.Errorf("sale: %w", err)
		}
	}
	if _, err := s.Commissions.ApproveDue(ctx, 100); err != nil {
		return 0, err
	}
	if _, err := s.Payouts.Propose(ctx, programID); err != nil {
		return 0, fmt.Errorf("second batch: %w", err)
	}
	return clicksMade, nil
}
