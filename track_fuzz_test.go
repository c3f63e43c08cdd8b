package tandem_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
)

// A ref value that ParseRef accepts is returned unchanged, fits the code
// rules and needs no escaping in a path or a query; anything else is
// EINVALID on "ref". The corpus is in testdata/fuzz/FuzzParseRef.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"jane", "Ab3dE6gH", "12345678", "ab", "a b", "jane%00", "ja\nne", "café", strings.Repeat("z", 33), "x'; DROP TABLE links;--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := tandem.ParseRef(s)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "ref" {
				t.Fatalf("ParseRef(%q) = %v; want invalid on ref", s, err)
			}
			return
		}
		if got != s || len(s) < tandem.MinCode || len(s) > tandem.MaxCode || url.PathEscape(s) != s || url.QueryEscape(s) != s {
			t.Fatalf("ParseRef(%q) = %q", s, got)
		}
	})
}

// An origin AllowsOrigin accepts is a bare http(s) origin whose host is an
// allowed domain or under one: never a look-alike such as
// shop.acme.example.evil.com.
func FuzzAllowsOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.acme.example", "https://www.shop.acme.example:8443", "http://SHOP.ACME.EXAMPLE",
		"https://shop.acme.example.evil.com", "https://evilshop.acme.example", "null", "", "https://user@shop.acme.example",
		"https://shop.acme.example/", "https://shop.acme.example/x", "https://shop.acme.example?x", "javascript://shop.acme.example",
		"https://shop.acme.example%2eevil.com", "https://[::1]", "https://shop.acme.example#x"} {
		f.Add(s)
	}
	p := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD",
		DestinationURL: "https://www.acme.example/", AllowedDomains: []string{"shop.acme.example"}}
	if err := p.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		if !p.AllowsOrigin(origin) {
			return
		}
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			t.Fatalf("allowed %q, which is no bare origin", origin)
		}
		host := strings.ToLower(u.Hostname())
		if !slices.ContainsFunc(p.AllowedDomains, func(d string) bool { return host == d || strings.HasSuffix(host, "."+d) }) {
			t.Fatalf("allowed %q: host %q is not under %v", origin, host, p.AllowedDomains)
		}
	})
}

var paramName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Whatever names an admin types, a program that validates has a click
// parameter and 1 to 5 distinct ref parameters, all safe names, none the
// click parameter; one that does not is refused on the field at fault.
func FuzzTrackingParams(f *testing.F) {
	f.Add("tandem_click", "ref,via,fp_ref")
	f.Add("", "")
	f.Add("ref", "")
	f.Add("aff click", "aff")
	f.Add("x", "a,b,c,d,e,f")
	f.Add("c", "c")
	f.Add("c", "a&b")
	f.Fuzz(func(t *testing.T, click, refs string) {
		p := tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", ClickParam: click, RefParams: strings.Split(refs, ",")}
		if err := p.Validate(); err != nil {
			if f := tandem.ErrorField(err); f != "click_param" && f != "ref_params" {
				t.Fatalf("Validate(%q, %q) = %v", click, refs, err)
			}
			return
		}
		if !paramName.MatchString(p.ClickParam) || len(p.RefParams) == 0 || len(p.RefParams) > tandem.MaxRefParams {
			t.Fatalf("Validate(%q, %q) kept %q, %q", click, refs, p.ClickParam, p.RefParams)
		}
		for i, r := range p.RefParams {
			if !paramName.MatchString(r) || r == p.ClickParam || slices.Index(p.RefParams, r) != i {
				t.Fatalf("Validate(%q, %q) kept ref params %q", click, refs, p.RefParams)
			}
		}
	})
}
