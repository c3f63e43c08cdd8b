package tandem_test

import (
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

func TestBuildOnboarding(t *testing.T) {
	t.Parallel()
	v1 := &tandem.AgreementVersion{ID: "agv_1"}
	complete := &tandem.Partner{Website: "https://x.example", Audience: "Founders"}
	steps := []*tandem.CustomStep{{ID: "obs_call", Title: "Book a kickoff call"}}
	for _, tt := range []struct {
		name        string
		facts       tandem.OnboardingFacts
		kinds       string // the steps, in order
		done, total int
	}{
		{"nothing published, empty profile", tandem.OnboardingFacts{Partner: &tandem.Partner{}},
			"complete_profile add_payout_method create_first_link", 0, 1},
		{"terms to accept", tandem.OnboardingFacts{Agreement: tandem.NewAgreementState(v1, nil), Partner: complete},
			"accept_agreement complete_profile add_payout_method create_first_link", 1, 2},
		{"terms accepted, resources half read", tandem.OnboardingFacts{
			Agreement: tandem.NewAgreementState(v1, &tandem.AgreementAcceptance{VersionID: "agv_1"}), Partner: complete,
			RequiredResources: 2, ReadRequired: 1},
			"accept_agreement complete_profile add_payout_method read_resources create_first_link", 2, 3},
		{"custom step done, payouts and links available", tandem.OnboardingFacts{Partner: complete, CustomSteps: steps,
			CustomDone: map[string]time.Time{"obs_call": time.Now()}, PayoutsAvailable: true, HasPayoutMethod: true, LinksAvailable: true},
			"complete_profile add_payout_method create_first_link custom", 3, 4},
	} {
		o := tandem.BuildOnboarding(tt.facts)
		kinds := ""
		for i, s := range o.Steps {
			if i > 0 {
				kinds += " "
			}
			kinds += string(s.Kind)
		}
		if kinds != tt.kinds || o.Done != tt.done || o.Total != tt.total || o.Complete() != (tt.done == tt.total) {
			t.Errorf("%s: steps %q done %d/%d; want %q %d/%d", tt.name, kinds, o.Done, o.Total, tt.kinds, tt.done, tt.total)
		}
	}
	if tandem.ProfileComplete(&tandem.Partner{Website: "https://x.example"}) || !tandem.ProfileComplete(&tandem.Partner{SocialLinks: []string{"https://l.example"}, Audience: "a"}) {
		t.Error("ProfileComplete wants a website or profile link and an audience")
	}
}
