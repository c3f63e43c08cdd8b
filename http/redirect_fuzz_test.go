package http

import (
	"net/url"
	"testing"

	"github.com/tandem-prm/tandem"
)

// withParam keeps the target's scheme, host, path and other parameters,
// and adds exactly the value given, whatever the target's query looks like.
// The corpus is in testdata/fuzz/FuzzWithParam.
func FuzzWithParam(f *testing.F) {
	f.Add("https://shop.example.com/pricing?plan=pro&utm_source=me", "tandem_click", "clk_abc")
	f.Add("https://shop.example.com/?", "aff", "x y&z=1")
	f.Add("https://shop.example.com/p#frag", "tandem_click", "clk_abc")
	f.Add("https://shop.example.com/?tandem_click=old", "tandem_click", "new")
	f.Add("https://shop.example.com/?a=%zz", "c", "v")
	f.Add("https://shop.example.com/?a;b=1", "c", "v")
	f.Fuzz(func(t *testing.T, target, name, value string) {
		before, err := url.Parse(target)
		if err != nil {
			return
		}
		if p := (tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", ClickParam: name}); p.Validate() != nil {
			return // not a name a program may choose
		}
		q, err := url.ParseQuery(before.RawQuery)
		if err != nil {
			return // a query the redirect never builds (TargetURL's come from url.Parse and QueryEscape)
		}
		out := withParam(target, name, value)
		after, err := url.Parse(out)
		if err != nil {
			t.Fatalf("withParam(%q) = %q: %v", target, out, err)
		}
		got, err := url.ParseQuery(after.RawQuery)
		if err != nil {
			t.Fatalf("withParam(%q) = %q: query %v", target, out, err)
		}
		vs := got[name]
		if len(vs) == 0 || vs[len(vs)-1] != value || len(vs) != len(q[name])+1 {
			t.Fatalf("withParam(%q, %q, %q) = %q: %s = %q", target, name, value, out, name, vs)
		}
		if after.Scheme != before.Scheme || after.Host != before.Host || after.Path != before.Path || after.Fragment != before.Fragment {
			t.Fatalf("withParam(%q) = %q changed the address", target, out)
		}
		for k, v := range q {
			if k != name && len(got[k]) != len(v) {
				t.Fatalf("withParam(%q) = %q lost %s", target, out, k)
			}
		}
	})
}
