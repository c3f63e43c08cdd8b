package demo

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// agreementTerms is the demo referral program's partner agreement.
const agreementTerms = `## What each side does

**Fjordline** provides the product, a partner manager, training and ready-to-share material, tracks every
referral you send, and pays your commissions on time.

**You** introduce Fjordline to companies that fit the ideal customer profile, describe the product
honestly, and keep us informed about introductions you make.

## Commission terms

- 20% of everything a referred customer pays in their first 12 months.
- A referral counts when the company signs up within 90 days of your introduction.
- Commissions become payable after a 30-day refund window and are paid monthly once they reach USD 50.
- Refunded payments reverse their commissions.

## Ideal audience

B2B software companies with 10 to 200 employees that want product analytics without a data team.

## How you may promote Fjordline

- Do: share your referral link in newsletters, posts, talks and one-to-one introductions.
- Do: use the logos and screenshots from the resource library.
- Don't: bid on "Fjordline" or its misspellings in paid search.
- Don't: offer discounts we have not agreed, or send unsolicited bulk email.
`

// onePagerPDF is a minimal, valid one-page PDF: the demo's downloadable file.
const onePagerPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n" +
	"4 0 obj<</Length 58>>stream\nBT /F1 24 Tf 72 760 Td (Fjordline Analytics one-pager) Tj ET\nendstream endobj\n" +
	"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// addContent gives the referral program its agreement (accepted by the demo
// partner), its resource library and a custom onboarding step.
func addContent(ctx context.Context, s Services, program *demoProgram, partnerUserID string) error {
	v, err := s.Agreements.PublishAgreement(ctx, program.ID, "Fjordline partner agreement", agreementTerms)
	if err != nil {
		return fmt.Errorf("agreement: %w", err)
	}
	partnerCtx := tandem.WithUserAgent(tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorPartner, ID: partnerUserID, IP: "192.0.2.10"}),
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15")
	if _, err := s.Agreements.AcceptAgreement(partnerCtx, partnerUserID, program.ID, v.ID, "Ingrid Solberg"); err != nil {
		return fmt.Errorf("accept agreement: %w", err)
	}
	resources := []struct {
		r    tandem.Resource
		file *tandem.Upload
	}{
		{tandem.Resource{Kind: tandem.ResourcePersona, Title: "Who to refer: the ideal customer", Required: true, Body: `## Demographics
Heads of product and engineering at B2B software companies with 10 to 200 employees.

## Needs and pain points
They ship weekly but cannot tell which features are used; dashboards take a data engineer they do not have.

## Values
Speed, privacy, tools that work without a project.

## Objections
"We already have Google Analytics." It counts pages, not product use. "We have no time to set it up." One afternoon.

## Ideal company profile
SaaS, Series A to C, a product team of 3 to 30, customers in Europe or North America.`}, nil},
		{tandem.Resource{Kind: tandem.ResourceValueProp, Title: "Why customers choose Fjordline", Required: true,
			Body: "- Set up in an afternoon, no data team needed\n- Privacy by design: EU hosting, no personal data required\n- 94% of customers renew after their first year"}, nil},
		{tandem.Resource{Kind: tandem.ResourceCompetitor, Title: "Fjordline compared to the alternatives",
			Body: "| | Fjordline | Generic web analytics | Build it yourself |\n|---|---|---|---|\n| Tracks product use | yes | no | yes |\n| Time to first insight | 1 day | 1 day | 3 months |\n| Needs a data team | no | no | yes |"}, nil},
		{tandem.Resource{Kind: tandem.ResourceCopy, Title: "A short LinkedIn post",
			Body: "We finally know which features our customers use, thanks to Fjordline Analytics. If your product team is flying blind, try it: {link}"}, nil},
		{tandem.Resource{Kind: tandem.ResourceVideo, Title: "Fjordline in three minutes", URL: "https://video.fjordline.example/tour"}, nil},
		{tandem.Resource{Kind: tandem.ResourceFile, Title: "One-pager to send to prospects"},
			&tandem.Upload{Name: "fjordline-one-pager.pdf", ContentType: "application/pdf", Data: []byte(onePagerPDF)}},
	}
	for _, res := range resources {
		r := res.r
		r.ProgramID = program.ID
		if err := s.Resources.CreateResource(ctx, &r, res.file); err != nil {
			return fmt.Errorf("resource %q: %w", r.Title, err)
		}
	}
	return s.Onboarding.AddCustomStep(ctx, &tandem.CustomStep{ProgramID: program.ID, Title: "Book a 20-minute kickoff call",
		Description: "Your partner manager walks you through the product and the customers who fit."})
}
