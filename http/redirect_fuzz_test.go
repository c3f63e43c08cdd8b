package http

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/tandem-prm/tandem"
)

// A location's URL keeps the target's scheme, host, path and other
// parameters, and adds exactly the value given, whatever the target's query
// looks like.
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
		out := newLocation(target, name).url(value)
		after, err := url.Parse(out)
		if err != nil {
			t.Fatalf("url(%q) = %q: %v", target, out, err)
		}
		got, err := url.ParseQuery(after.RawQuery)
		if err != nil {
			t.Fatalf("url(%q) = %q: query %v", target, out, err)
		}
		vs := got[name]
		if len(vs) == 0 || vs[len(vs)-1] != value || len(vs) != len(q[name])+1 {
			t.Fatalf("url(%q, %q, %q) = %q: %s = %q", target, name, value, out, name, vs)
		}
		if after.Scheme != before.Scheme || after.Host != before.Host || after.Path != before.Path || after.Fragment != before.Fragment {
			t.Fatalf("url(%q) = %q changed the address", target, out)
		}
		for k, v := range q {
			if k != name && len(got[k]) != len(v) {
				t.Fatalf("url(%q) = %q lost %s", target, out, k)
			}
		}
	})
}

// A short link's 302, put together from a location's parts, is byte for
// byte the one http.Redirect makes of the target with the click ID, for
// GET and HEAD.
func FuzzLocation(f *testing.F) {
	f.Add("https://shop.example.com/pricing?plan=pro&utm_source=me", "tandem_click", "clk_abc")
	f.Add("https://shop.example.com/p?q=caf\u00e9&x=<\"'>#frag&ment", "aff", "clk_0123456789")
	f.Add("https://shop.example.com/?", "c d", "clk_x")
	f.Add("https://shop.example.com/%zz", "c", "clk_x")
	f.Fuzz(func(t *testing.T, target, name, id string) {
		if u, err := url.Parse(target); err != nil || u.Scheme == "" || u.Host == "" {
			return // targets are absolute (tandem.TargetURL)
		}
		loc := newLocation(target, name)
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			r := httptest.NewRequest(method, "/r/abcdef", nil)
			got, want := httptest.NewRecorder(), httptest.NewRecorder()
			loc.redirect(got, r, id)
			http.Redirect(want, r, loc.url(id), http.StatusFound)
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
				t.Fatalf("%s %q: got %d %v %q; want %d %v %q", method, target, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		}
	})
}
