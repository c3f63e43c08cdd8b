package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// demoReferral is a lead one of the referral program's partners brought,
// and where the program team has taken it since.
type demoReferral struct {
	partnerEmail string
	source       tandem.ReferralSource
	in           tandem.ReferralInput
	moves        []statusMove
	// sale, if not 0, is the amount of the first sale the merchant reports
	// for the referral after the moves: it makes the referral a customer.
	sale int64
}

type statusMove struct {
	to     tandem.ReferralStatus
	reason string
}

// demoReferrals cover every status a manager can reach, a customer won by
// a sale naming the referral, a duplicate the conflict check caught and a
// possible duplicate it flagged. Qualifying one earns the plan's lead fee
// (the conversion engine records its lead_qualified conversion); the demo's
// first sales through coupons made the partners' implicit referrals,
// customers already (see addMoney).
var demoReferrals = []demoReferral{
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Marit Eide", Email: "marit@nordlys-saas.example", Company: "Nordlys SaaS",
		Notes: "Head of product; wants funnels by plan. Demo booked for next week.", ExpectedValue: 1_200_000}, []statusMove{{to: tandem.ReferralQualified}}, 0},
	{PartnerEmail, tandem.ReferralFromLeadForm, tandem.ReferralInput{Name: "Anders Vik", Email: "anders@vik-logistics.example", Company: "Vik Logistics",
		Notes: "Came through the client letter."}, nil, 0},
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Siri Holm", Email: "siri@holm-studio.example", Company: "Holm Studio", ExpectedValue: 300_000},
		[]statusMove{{tandem.ReferralRejected, "A two-person design studio: too small for the product today."}}, 0},
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Lena Aas", Email: "lena@aas-consulting.example", Company: "Aas Consulting",
		Notes: "Twelve consultants; wants the annual plan.", ExpectedValue: 490_000}, []statusMove{{to: tandem.ReferralQualified}}, 490_000},
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Per Strand", Email: "per@strandretail.example", Company: "Strand Retail", ExpectedValue: 800_000},
		[]statusMove{{to: tandem.ReferralQualified}, {tandem.ReferralLost, "Chose a competitor with on-premises hosting."}}, 0},
	{"partners@brightpath.example", tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Marit Eide", Email: "marit@nordlys-saas.example", Company: "Nordlys SaaS"}, nil, 0},
	{"partners@brightpath.example", tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Jon Berg", Email: "jon@nordlys-saas.example", Company: "Nordlys SaaS", ExpectedValue: 600_000}, nil, 0},
}

// addReferrals gives the referral program the default protection window
// and a small pipeline, registered the way partners and visitors do it,
// moved along by the owner and, for one, bought from.
func addReferrals(ctx context.Context, s Services, program *tandem.Program, now time.Time) error {
	program.ProtectionDays = tandem.DefaultProtectionDays
	if err := s.Programs.UpdateProgram(ctx, program); err != nil {
		return err
	}
	for _, d := range demoReferrals {
		partners, err := s.Partners.FindPartners(ctx, tandem.PartnerFilter{Email: d.partnerEmail, Limit: 1})
		if err != nil || len(partners) == 0 {
			return fmt.Errorf("demo referral partner %s: %v", d.partnerEmail, err)
		}
		in := d.in
		in.ProgramID, in.PartnerID, in.Source = program.ID, partners[0].ID, d.source
		r, err := s.Referrals.CreateReferral(ctx, in)
		if err != nil {
			return fmt.Errorf("demo referral %s: %w", in.Email, err)
		}
		for _, m := range d.moves {
			if _, err := s.Referrals.ChangeReferralStatus(ctx, r.ID, m.to, m.reason); err != nil {
				return fmt.Errorf("demo referral %s to %s: %w", in.Email, m.to, err)
			}
		}
		if d.sale > 0 && s.Conversions != nil {
			sale := tandem.ConversionInput{ProgramID: program.ID, Kind: tandem.ConversionSale, Source: tandem.SourceDemo,
				EventID: "demo_referral_sale_" + r.ID, CustomerEmail: in.Email, ReferralID: r.ID, Amount: d.sale,
				Currency: program.Currency, OccurredAt: now.Add(-time.Hour), Product: "annual"}
			if _, err := s.Conversions.RecordConversion(ctx, sale, ""); err != nil {
				return fmt.Errorf("demo referral sale %s: %w", in.Email, err)
			}
		}
	}
	return nil
}
