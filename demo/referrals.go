package demo

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// demoReferral is a lead one of the referral program's partners brought,
// and where the program team has taken it since.
type demoReferral struct {
	partnerEmail string
	source       tandem.ReferralSource
	in           tandem.ReferralInput
	moves        []statusMove
}

type statusMove struct {
	to     tandem.ReferralStatus
	reason string
}

// demoReferrals cover every status a manager can reach, a duplicate the
// conflict check caught and a possible duplicate it flagged. (Customer
// comes only from a sale, which the conversion engine records.)
var demoReferrals = []demoReferral{
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Marit Eide", Email: "marit@nordlys-saas.example", Company: "Nordlys SaaS",
		Notes: "Head of product; wants funnels by plan. Demo booked for next week.", ExpectedValue: 1_200_000}, []statusMove{{to: tandem.ReferralQualified}}},
	{PartnerEmail, tandem.ReferralFromLeadForm, tandem.ReferralInput{Name: "Anders Vik", Email: "anders@vik-logistics.example", Company: "Vik Logistics",
		Notes: "Came through the client letter."}, nil},
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Siri Holm", Email: "siri@holm-studio.example", Company: "Holm Studio", ExpectedValue: 300_000},
		[]statusMove{{tandem.ReferralRejected, "A two-person design studio: too small for the product today."}}},
	{PartnerEmail, tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Per Strand", Email: "per@strandretail.example", Company: "Strand Retail", ExpectedValue: 800_000},
		[]statusMove{{to: tandem.ReferralQualified}, {tandem.ReferralLost, "Chose a competitor with on-premises hosting."}}},
	{"partners@brightpath.example", tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Marit Eide", Email: "marit@nordlys-saas.example", Company: "Nordlys SaaS"}, nil},
	{"partners@brightpath.example", tandem.ReferralFromPartner, tandem.ReferralInput{Name: "Jon Berg", Email: "jon@nordlys-saas.example", Company: "Nordlys SaaS", ExpectedValue: 600_000}, nil},
}

// addReferrals gives the referral program the default protection window
// and a small pipeline, registered the way partners and visitors do it and
// moved along by the owner.
func addReferrals(ctx context.Context, s Services, program *tandem.Program) error {
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
	}
	return nil
}
