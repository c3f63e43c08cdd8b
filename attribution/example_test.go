package attribution_test

import (
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

func ExampleDecide() {
	sale := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	res := attribution.Decide(attribution.Input{
		Program:    attribution.Program{CookieDays: 30, Model: tandem.LastClick},
		OccurredAt: sale,
		Coupon:     &attribution.Coupon{ID: "cpn_1", Code: "BOB5", PartnerID: "prt_bob"},
		Clicks: []attribution.Click{
			{ID: "clk_1", LinkID: "lnk_1", LinkLabel: "newsletter-jan", PartnerID: "prt_kari", At: sale.Add(-72 * time.Hour)},
			{ID: "clk_2", LinkID: "lnk_2", LinkLabel: "podcast", PartnerID: "prt_kari", At: sale.Add(-40 * 24 * time.Hour)},
			{ID: "clk_3", LinkID: "lnk_3", PartnerID: "prt_ola", At: sale.Add(-time.Hour), Bot: true},
		},
		Partners: map[string]attribution.Partner{
			"prt_kari": {Name: "Kari", Status: tandem.MembershipApproved},
			"prt_bob":  {Name: "Bob", Status: tandem.MembershipSuspended, Reason: "chargebacks"},
		},
	})
	fmt.Println(res.PartnerID, res.Source, res.ClickID)
	fmt.Println(res.Explanation)
	for _, s := range res.Skipped {
		fmt.Println("skipped", s.Why)
	}
	// Output:
	// prt_kari last_click clk_1
	// last click 3 days before the sale via link newsletter-jan (lnk_1) of partner Kari (prt_kari)
	// skipped coupon BOB5 of partner Bob (prt_bob): the partner is suspended (chargebacks)
}
