package tandem_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

func TestProgramValidate(t *testing.T) {
	t.Parallel()
	valid := func() tandem.Program {
		return tandem.Program{Name: "Partners", Slug: "partners", Type: tandem.ProgramReferral, Currency: "EUR"}
	}
	p := valid()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.TimeZone != "UTC" || p.CookieDays != 30 || p.Attribution != tandem.LastClick || p.Status != tandem.ProgramActive ||
		p.ClickParam != "tandem_click" || !slices.Equal(p.RefParams, []string{"ref", "via", "fp_ref"}) {
		t.Errorf("defaults = %+v", p)
	}
	// Ref parameters are trimmed and deduplicated; the defaults never repeat the click parameter.
	p = valid()
	p.ClickParam, p.RefParams = "ref", nil
	if err := p.Validate(); err != nil || !slices.Equal(p.RefParams, []string{"via", "fp_ref"}) {
		t.Errorf("click param ref: %v, ref params %v", err, p.RefParams)
	}
	p = valid()
	p.RefParams = []string{" aff ", "", "aff", "partner-id", "A_1"}
	if err := p.Validate(); err != nil || !slices.Equal(p.RefParams, []string{"aff", "partner-id", "A_1"}) {
		t.Errorf("ref params: %v, %v", err, p.RefParams)
	}
	for _, tt := range []struct {
		field  string
		change func(*tandem.Program)
	}{
		{"name", func(p *tandem.Program) { p.Name = "   " }},
		{"name", func(p *tandem.Program) { p.Name = string(make([]rune, 121)) }},
		{"slug", func(p *tandem.Program) { p.Slug = "Partners" }},
		{"slug", func(p *tandem.Program) { p.Slug = "-partners" }},
		{"slug", func(p *tandem.Program) { p.Slug = "part ners" }},
		{"type", func(p *tandem.Program) { p.Type = "pyramid" }},
		{"currency", func(p *tandem.Program) { p.Currency = "eur" }},
		{"currency", func(p *tandem.Program) { p.Currency = "EURO" }},
		{"currency", func(p *tandem.Program) { p.Currency = "ABC" }},
		{"time_zone", func(p *tandem.Program) { p.TimeZone = "Mars/Olympus" }},
		{"time_zone", func(p *tandem.Program) { p.TimeZone = "Local" }},
		{"cookie_days", func(p *tandem.Program) { p.CookieDays = -1 }},
		{"cookie_days", func(p *tandem.Program) { p.CookieDays = 731 }},
		{"protection_days", func(p *tandem.Program) { p.ProtectionDays = -1 }},
		{"protection_days", func(p *tandem.Program) { p.ProtectionDays = 366 }},
		{"attribution", func(p *tandem.Program) { p.Attribution = "linear" }},
		{"status", func(p *tandem.Program) { p.Status = "deleted" }},
		{"click_param", func(p *tandem.Program) { p.ClickParam = "click id" }},
		{"click_param", func(p *tandem.Program) { p.ClickParam = strings.Repeat("c", 33) }},
		{"click_param", func(p *tandem.Program) { p.ClickParam = "klick=1" }},
		{"ref_params", func(p *tandem.Program) { p.RefParams = []string{"ref", "vïa"} }},
		{"ref_params", func(p *tandem.Program) { p.RefParams = []string{"ref&x"} }},
		{"ref_params", func(p *tandem.Program) { p.RefParams = []string{"tandem_click"} }},
		{"ref_params", func(p *tandem.Program) { p.RefParams = []string{"a", "b", "c", "d", "e", "f"} }},
	} {
		p := valid()
		tt.change(&p)
		err := p.Validate()
		if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
			t.Errorf("%+v: Validate = %v; want invalid %s", p, err, tt.field)
		}
	}
}

func TestPartnerValidate(t *testing.T) {
	t.Parallel()
	p := tandem.Partner{Name: " Ada ", Email: " Ada@Example.COM"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Name != "Ada" || p.Email != "ada@example.com" || p.Kind != tandem.PartnerPerson || p.Type != tandem.TypeReferralPartner || p.Source != tandem.SourceApplied {
		t.Errorf("normalised partner = %+v", p)
	}
	for _, tt := range []struct {
		field string
		p     tandem.Partner
	}{
		{"name", tandem.Partner{Email: "a@example.com"}},
		{"email", tandem.Partner{Name: "A", Email: "Ada <ada@example.com>"}},
		{"email", tandem.Partner{Name: "A", Email: "ada@"}},
		{"email", tandem.Partner{Name: "A", Email: "a@example.com, b@example.com"}},
		{"kind", tandem.Partner{Name: "A", Email: "a@example.com", Kind: "robot"}},
		{"type", tandem.Partner{Name: "A", Email: "a@example.com", Type: "influencer"}},
		{"source", tandem.Partner{Name: "A", Email: "a@example.com", Source: "scraped"}},
	} {
		if err := tt.p.Validate(); tandem.ErrorField(err) != tt.field || tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("%+v: Validate = %v; want invalid %s", tt.p, err, tt.field)
		}
	}
}

func TestMembershipTransitions(t *testing.T) {
	t.Parallel()
	all := []tandem.MembershipStatus{tandem.MembershipPending, tandem.MembershipApproved, tandem.MembershipRejected, tandem.MembershipSuspended}
	allowed := map[[2]tandem.MembershipStatus]bool{
		{tandem.MembershipPending, tandem.MembershipApproved}:   true,
		{tandem.MembershipPending, tandem.MembershipRejected}:   true,
		{tandem.MembershipApproved, tandem.MembershipSuspended}: true,
		{tandem.MembershipSuspended, tandem.MembershipApproved}: true,
		{tandem.MembershipRejected, tandem.MembershipApproved}:  true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanMoveTo(to); got != allowed[[2]tandem.MembershipStatus{from, to}] {
				t.Errorf("%s -> %s allowed = %v", from, to, got)
			}
		}
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := tandem.NewID(tandem.PrefixPartner)
		if !tandem.HasPrefix(id, tandem.PrefixPartner) || tandem.HasPrefix(id, tandem.PrefixProgram) || seen[id] {
			t.Fatalf("bad or repeated ID %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"prt_", "prt_ABCDEFGHIJKLMNOPQRSTUVWXYZ", "prt_abcdefghijklmnopqrstuvwxy1", "prtabcdefghijklmnopqrstuvwxyz"} {
		if tandem.HasPrefix(bad, tandem.PrefixPartner) {
			t.Errorf("HasPrefix(%q) = true", bad)
		}
	}
}

// Time IDs are IDs that sort in the order of their times.
func TestTimeIDs(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := tandem.NewTimeID(tandem.PrefixClick, at.Add(time.Duration(i*i)*time.Millisecond))
		if !tandem.HasPrefix(id, tandem.PrefixClick) || seen[id] || id <= prev {
			t.Fatalf("bad, repeated or unordered ID %q after %q", id, prev)
		}
		seen[id], prev = true, id
	}
	a, b := tandem.NewTimeID("x", at), tandem.NewTimeID("x", at)
	if a[:12] != b[:12] || a == b {
		t.Errorf("IDs of one millisecond: %s, %s; want a shared time and different random parts", a, b)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("saving: %w", tandem.Invalidf("email", "Email is required."))
	if tandem.ErrorCode(wrapped) != tandem.EINVALID || tandem.ErrorMessage(wrapped) != "Email is required." || tandem.ErrorField(wrapped) != "email" {
		t.Errorf("wrapped error: code %q message %q field %q", tandem.ErrorCode(wrapped), tandem.ErrorMessage(wrapped), tandem.ErrorField(wrapped))
	}
	// Any other error is internal and its text is never the user's message.
	internal := errors.New("pq: relation \"partners\" does not exist")
	if tandem.ErrorCode(internal) != tandem.EINTERNAL || tandem.ErrorMessage(internal) != "Internal error." {
		t.Errorf("internal error: %q %q", tandem.ErrorCode(internal), tandem.ErrorMessage(internal))
	}
	if tandem.ErrorCode(nil) != "" || tandem.ErrorMessage(nil) != "" {
		t.Error("nil error has a code or message")
	}
}
