package attribution_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

// BenchmarkDecide decides a sale with 50 clicks over 60 days (a 30-day last
// click window): five partners, one of them suspended, every seventh click a
// bot. No lock, referral or coupon, so every click is looked at.
func BenchmarkDecide(b *testing.B) {
	partners := map[string]attribution.Partner{}
	for i := range 5 {
		status := tandem.MembershipApproved
		if i == 3 {
			status = tandem.MembershipSuspended
		}
		partners[fmt.Sprintf("prt_%d", i)] = attribution.Partner{Name: fmt.Sprintf("Partner %d", i), Status: status}
	}
	in := attribution.Input{
		Program:    attribution.Program{CookieDays: 30, Model: tandem.LastClick},
		OccurredAt: sale,
		Partners:   partners,
	}
	for i := range 50 {
		id := fmt.Sprintf("%02d", i)
		in.Clicks = append(in.Clicks, attribution.Click{
			ID: "clk_" + id, LinkID: "lnk_" + id, LinkLabel: "newsletter-" + id,
			PartnerID: fmt.Sprintf("prt_%d", i%5),
			At:        sale.Add(-time.Duration(i*29) * time.Hour), // 0 to 59 days before
			Bot:       i%7 == 6,
		})
	}
	if res := attribution.Decide(in); res.Source != attribution.SourceLastClick {
		b.Fatalf("setup: %s", res)
	}
	b.ReportAllocs()
	for b.Loop() {
		attribution.Decide(in)
	}
}
