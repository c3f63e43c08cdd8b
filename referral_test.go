package tandem

import "testing"

func TestReferralTransitions(t *testing.T) {
	t.Parallel()
	allowed := map[[2]ReferralStatus]bool{
		{ReferralNew, ReferralQualified}: true, {ReferralNew, ReferralCustomer}: true, {ReferralNew, ReferralRejected}: true,
		{ReferralNew, ReferralLost}: true, {ReferralNew, ReferralDuplicate}: true,
		{ReferralQualified, ReferralCustomer}: true, {ReferralQualified, ReferralRejected}: true, {ReferralQualified, ReferralLost}: true,
		{ReferralRejected, ReferralNew}: true, {ReferralLost, ReferralNew}: true,
	}
	for _, from := range ReferralStatuses {
		for _, to := range ReferralStatuses {
			if got := from.CanMoveTo(to); got != allowed[[2]ReferralStatus{from, to}] {
				t.Errorf("%s → %s = %v", from, to, got)
			}
		}
	}
	for _, s := range ReferralStatuses {
		want := s == ReferralRejected || s == ReferralLost || s == ReferralDuplicate
		if s.NeedsReason() != want {
			t.Errorf("%s needs a reason = %v", s, !want)
		}
	}
}

func TestCompanyDomain(t *testing.T) {
	t.Parallel()
	for email, want := range map[string]string{"jane@Acme.example": "acme.example", "x@gmail.com": "", "y@mailinator.com": "", "broken": ""} {
		if got := CompanyDomain(email); got != want {
			t.Errorf("CompanyDomain(%q) = %q; want %q", email, got, want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"", "USD", 0, true}, {"1500", "USD", 150000, true}, {"1,500.5", "USD", 150050, true}, {" 0.07 ", "EUR", 7, true},
		{"1500", "JPY", 1500, true}, {"1.5", "JPY", 0, false}, {"1.234", "USD", 0, false}, {"-5", "USD", 0, false},
		{"1e3", "USD", 0, false}, {"1.", "USD", 0, false}, {".5", "USD", 0, false}, {"99999999999999999999", "USD", 0, false},
	} {
		got, err := ParseAmount("expected_value", tt.in, tt.currency)
		if (err == nil) != tt.ok || got != tt.want || err != nil && ErrorField(err) != "expected_value" {
			t.Errorf("ParseAmount(%q, %s) = %d, %v", tt.in, tt.currency, got, err)
		}
	}
}

// A partner sees the email of a lead they brought whole, and the email of a
// customer whose first sale made the referral masked.
func TestPartnerEmail(t *testing.T) {
	for _, tt := range []struct {
		source      ReferralSource
		email, name string
		want, title string
	}{
		{ReferralFromPartner, "lee@buyer.example", "", "lee@buyer.example", "lee@buyer.example"},
		{ReferralFromLeadForm, "lee@buyer.example", "Lee", "lee@buyer.example", "Lee"},
		{ReferralFromConversion, "lee@buyer.example", "", "l•••@buyer.example", "l•••@buyer.example"},
		{ReferralFromConversion, "élodie@buyer.example", "", "é•••@buyer.example", "é•••@buyer.example"},
		{ReferralFromConversion, "", "", "", "ref_1"},
		{ReferralFromConversion, "not-an-email", "", "•••", "•••"},
	} {
		r := Referral{ID: "ref_1", Source: tt.source, Email: tt.email, Name: tt.name}
		if got := r.PartnerEmail(); got != tt.want {
			t.Errorf("%s %q: PartnerEmail = %q; want %q", tt.source, tt.email, got, tt.want)
		}
		if got := r.PartnerTitle(); got != tt.title {
			t.Errorf("%s %q: PartnerTitle = %q; want %q", tt.source, tt.email, got, tt.title)
		}
	}
}
