package tandem_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
)

// agreementStates are every way a partner can stand with a program's
// agreement, by name; accepted says whether the current version (if any) is
// accepted.
func agreementStates() []struct {
	name     string
	state    tandem.AgreementState
	accepted bool
} {
	v1 := &tandem.AgreementVersion{ID: "agv_1", Version: 1}
	v2 := &tandem.AgreementVersion{ID: "agv_2", Version: 2}
	acceptedV1 := &tandem.AgreementAcceptance{VersionID: "agv_1", Version: 1}
	acceptedV2 := &tandem.AgreementAcceptance{VersionID: "agv_2", Version: 2}
	return []struct {
		name     string
		state    tandem.AgreementState
		accepted bool
	}{
		{"no agreement", tandem.NewAgreementState(nil, nil), true},
		{"v1 not accepted", tandem.NewAgreementState(v1, nil), false},
		{"v1 accepted", tandem.NewAgreementState(v1, acceptedV1), true},
		{"v2 published, only v1 accepted", tandem.NewAgreementState(v2, acceptedV1), false},
		{"v2 accepted", tandem.NewAgreementState(v2, acceptedV2), true},
		// A state put together by hand with an acceptance of an older
		// version still does not count as accepted.
		{"by hand: v2 current, v1 accepted", tandem.AgreementState{Current: v2, Accepted: acceptedV1}, false},
		{"by hand: zero state", tandem.AgreementState{}, true},
	}
}

func TestMayCreateLinks(t *testing.T) {
	t.Parallel()
	statuses := []tandem.MembershipStatus{tandem.MembershipPending, tandem.MembershipApproved, tandem.MembershipRejected, tandem.MembershipSuspended}
	for _, status := range statuses {
		for _, tt := range agreementStates() {
			want := status == tandem.MembershipApproved && tt.accepted
			if got := tandem.MayCreateLinks(tandem.Membership{Status: status}, tt.state); got != want {
				t.Errorf("MayCreateLinks(%s, %s) = %v; want %v", status, tt.name, got, want)
			}
		}
	}
}

func TestCommissionHeldForAgreement(t *testing.T) {
	t.Parallel()
	for _, tt := range agreementStates() {
		if got := tandem.CommissionHeldForAgreement(tt.state); got != !tt.accepted {
			t.Errorf("CommissionHeldForAgreement(%s) = %v; want %v", tt.name, got, !tt.accepted)
		}
	}
}

func TestNewAgreementState(t *testing.T) {
	t.Parallel()
	v2 := &tandem.AgreementVersion{ID: "agv_2", Version: 2}
	for _, tt := range []struct {
		name         string
		current      *tandem.AgreementVersion
		accepted     *tandem.AgreementAcceptance
		wantAccepted bool
		wantNeeds    bool
	}{
		{"none", nil, nil, false, false},
		{"an acceptance without a current version is dropped", nil, &tandem.AgreementAcceptance{VersionID: "agv_2"}, false, false},
		{"not accepted", v2, nil, false, true},
		{"an older acceptance is dropped", v2, &tandem.AgreementAcceptance{VersionID: "agv_1"}, false, true},
		{"accepted", v2, &tandem.AgreementAcceptance{VersionID: "agv_2"}, true, false},
	} {
		s := tandem.NewAgreementState(tt.current, tt.accepted)
		if (s.Accepted != nil) != tt.wantAccepted || s.NeedsAcceptance != tt.wantNeeds || s.Current != tt.current {
			t.Errorf("%s: state = %+v; want accepted %v, needs acceptance %v", tt.name, s, tt.wantAccepted, tt.wantNeeds)
		}
	}
}

func TestAgreementVersionValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, title, body string
		wantField         string // "" for valid
	}{
		{"valid", "Partner terms", "# Terms\r\n\r\nBe nice.", ""},
		{"title at the limit", strings.Repeat("é", 200), "x", ""},
		{"body at the limit", "T", strings.Repeat("é", 100000), ""},
		{"no title", "  ", "x", "title"},
		{"title too long", strings.Repeat("a", 201), "x", "title"},
		{"no body", "T", " \r\n ", "body"},
		{"body too long", "T", strings.Repeat("a", 100001), "body"},
	} {
		v := tandem.AgreementVersion{Title: tt.title, Body: tt.body}
		err := v.Validate()
		if tt.wantField == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantField != "" && (tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.wantField) {
			t.Errorf("%s: %v; want invalid %s", tt.name, err, tt.wantField)
		}
		if tt.name == "valid" && v.Body != "# Terms\n\nBe nice." {
			t.Errorf("body not normalised: %q", v.Body)
		}
	}
}

func TestValidateFullName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"  Ingrid Hansen ", "Ingrid Hansen", true},
		{"Bo", "Bo", true},
		{"李明", "李明", true},
		{"", "", false},
		{"   ", "", false},
		{"I", "", false},
		{strings.Repeat("a", 200), strings.Repeat("a", 200), true},
		{strings.Repeat("a", 201), "", false},
	} {
		got, err := tandem.ValidateFullName(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ValidateFullName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if !tt.ok && tandem.ErrorField(err) != "full_name" {
			t.Errorf("ValidateFullName(%q) = %q, %v; want an error about full_name", tt.in, got, err)
		}
	}
}

func TestUserAgentContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if ua := tandem.UserAgentFrom(ctx); ua != "" {
		t.Errorf("empty context has user agent %q", ua)
	}
	if ua := tandem.UserAgentFrom(tandem.WithUserAgent(ctx, "Mozilla/5.0")); ua != "Mozilla/5.0" {
		t.Errorf("user agent = %q", ua)
	}
}
