package tandem_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
)

func TestNewCode(t *testing.T) {
	t.Parallel()
	const n = 10_000
	seen := make(map[string]bool, n)
	counts := map[byte]int{}
	for range n {
		c := tandem.NewCode()
		if len(c) != tandem.CodeLength {
			t.Fatalf("code %q has %d characters; want %d", c, len(c), tandem.CodeLength)
		}
		for i := 0; i < len(c); i++ {
			b := c[i]
			if !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z') {
				t.Fatalf("code %q is not base62", c)
			}
			counts[b]++
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice in %d", c, n)
		}
		seen[c] = true
		if err := tandem.ValidCode(c); err != nil {
			t.Fatalf("generated code %q is not valid: %v", c, err)
		}
		if ref, err := tandem.ParseRef(c); err != nil || ref != c {
			t.Fatalf("ParseRef(%q) = %q, %v", c, ref, err)
		}
	}
	// Every one of the 62 characters shows up, none wildly more than the
	// others (80,000 draws: about 1290 each).
	if len(counts) != 62 {
		t.Errorf("%d distinct characters; want 62", len(counts))
	}
	for b, k := range counts {
		if k < 1000 || k > 1600 {
			t.Errorf("character %q drawn %d times of 80000; want about 1290", b, k)
		}
	}
}

func TestValidCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code string
		ok   bool
		msg  string
	}{
		{"jane", true, ""},
		{"Jane-Doe_2025", true, ""},
		{"a1b2", true, ""},
		{"abc", false, "4 to 32 characters"},
		{"", false, "4 to 32 characters"},
		{strings.Repeat("a", 32), true, ""},
		{strings.Repeat("a", 33), false, "4 to 32 characters"},
		{"1234", false, "at least one letter"},
		{"12345678", false, "at least one letter"},
		{"admin", false, "reserved"},
		{"ADMIN", false, "reserved"},
		{"Static", false, "reserved"},
		{"portal", false, "reserved"},
		{"jane doe", false, "only letters"},
		{"jane/doe", false, "only letters"},
		{"jané", false, "only letters"},
		{"jane%20", false, "only letters"},
		{"../..", false, "only letters"},
		{"<script>", false, "only letters"},
		{"jane\x00", false, "only letters"},
	} {
		err := tandem.ValidCode(tt.code)
		if (err == nil) != tt.ok {
			t.Errorf("ValidCode(%q) = %v; want ok %v", tt.code, err, tt.ok)
			continue
		}
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "code" || !strings.Contains(tandem.ErrorMessage(err), tt.msg) {
				t.Errorf("ValidCode(%q) = %v; want EINVALID on code saying %q", tt.code, err, tt.msg)
			}
		}
	}
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ref string
		ok  bool
	}{
		{"Ab3dE6gH", true}, {"jane", true}, {"12345678", true},
		{"", false}, {"ab", false}, {"a b c d", false}, {"x'; DROP TABLE links;--", false},
		{strings.Repeat("z", 33), false}, {"jane%00", false}, {"ja\nne", false},
	} {
		got, err := tandem.ParseRef(tt.ref)
		if (err == nil) != tt.ok {
			t.Errorf("ParseRef(%q) = %q, %v; want ok %v", tt.ref, got, err, tt.ok)
		}
		if err != nil && tandem.ErrorField(err) != "ref" {
			t.Errorf("ParseRef(%q) error on field %q; want ref", tt.ref, tandem.ErrorField(err))
		}
	}
}

func linkProgram(t *testing.T) *tandem.Program {
	t.Helper()
	p := &tandem.Program{ID: "prg_test", Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD",
		DestinationURL: "https://www.acme.example/start?src=partner", AllowedDomains: []string{"shop.acme.example"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTargetURL(t *testing.T) {
	t.Parallel()
	p := linkProgram(t)
	for _, tt := range []struct {
		name string
		dest string
		utm  tandem.UTM
		want string // "" for refused
	}{
		{"program destination", "", tandem.UTM{}, "https://www.acme.example/start?src=partner"},
		{"UTM appended, query kept", "", tandem.UTM{Source: "jane", Medium: "newsletter", Campaign: "spring sale"},
			"https://www.acme.example/start?src=partner&utm_source=jane&utm_medium=newsletter&utm_campaign=spring+sale"},
		{"deep link", "https://shop.acme.example/p/42#reviews", tandem.UTM{Content: "a&b=c"},
			"https://shop.acme.example/p/42?utm_content=a%26b%3Dc#reviews"},
		{"existing utm wins", "https://shop.acme.example/?utm_source=mine&x=1", tandem.UTM{Source: "jane", Term: "t"},
			"https://shop.acme.example/?utm_source=mine&x=1&utm_term=t"},
		{"foreign domain", "https://evil.example/", tandem.UTM{}, ""},
		{"lookalike domain", "https://shop.acme.example.evil.example/", tandem.UTM{}, ""},
		{"userinfo trick", "https://shop.acme.example@evil.example/", tandem.UTM{}, ""},
		{"backslash trick", `https://evil.example\@shop.acme.example/`, tandem.UTM{}, ""},
		{"javascript", "javascript:alert(1)//shop.acme.example", tandem.UTM{}, ""},
		{"data", "data:text/html,hi", tandem.UTM{}, ""},
		{"scheme-relative", "//evil.example/", tandem.UTM{}, ""},
		{"relative", "/pricing", tandem.UTM{}, ""},
		{"ftp", "ftp://shop.acme.example/", tandem.UTM{}, ""},
	} {
		got, err := tandem.TargetURL(p, &tandem.Link{Destination: tt.dest, UTM: tt.utm})
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: TargetURL = %q; want refused", tt.name, got)
			}
			if _, err := tandem.NewLink(p, tandem.LinkInput{Channel: tandem.ChannelEmail, Destination: tt.dest}); tandem.ErrorField(err) != "destination" {
				t.Errorf("%s: NewLink = %v; want EINVALID on destination", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: TargetURL = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	// A program without a destination has nowhere to send a plain link.
	bare := &tandem.Program{}
	if _, err := tandem.TargetURL(bare, &tandem.Link{}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("no destination = %v; want ENOTFOUND", err)
	}
}

func TestNewLink(t *testing.T) {
	t.Parallel()
	p := linkProgram(t)
	l, err := tandem.NewLink(p, tandem.LinkInput{Channel: tandem.ChannelNewsletter, Label: "  Spring issue ", Code: "jane-spring",
		Destination: " https://shop.acme.example/ ", UTM: tandem.UTM{Source: " jane "}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Label != "Spring issue" || l.Destination != "https://shop.acme.example/" || l.UTM.Source != "jane" || l.Code != "jane-spring" {
		t.Errorf("NewLink did not trim: %+v", l)
	}
	for _, tt := range []struct {
		in    tandem.LinkInput
		field string
	}{
		{tandem.LinkInput{Channel: "tiktok", Label: "x"}, "channel"},
		{tandem.LinkInput{Channel: tandem.ChannelCustom}, "label"},
		{tandem.LinkInput{Label: strings.Repeat("x", 101)}, "label"},
		{tandem.LinkInput{Label: "a\nb"}, "label"},
		{tandem.LinkInput{Label: "x", Code: "no way"}, "code"},
		{tandem.LinkInput{Label: "x", UTM: tandem.UTM{Campaign: strings.Repeat("c", 201)}}, "utm_campaign"},
		{tandem.LinkInput{Label: "x", UTM: tandem.UTM{Term: "a\x00b"}}, "utm_term"},
		{tandem.LinkInput{Label: "x", Destination: "https://shop.acme.example/" + strings.Repeat("p", 2000)}, "destination"},
	} {
		if _, err := tandem.NewLink(p, tt.in); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
			t.Errorf("NewLink(%+v) = %v; want EINVALID on %s", tt.in, err, tt.field)
		}
	}
	// An empty channel is a custom link.
	if l, err := tandem.NewLink(p, tandem.LinkInput{Label: "Podcast"}); err != nil || l.Channel != tandem.ChannelCustom {
		t.Errorf("empty channel = %v, %v", l, err)
	}
}

// FuzzParseLinkInput feeds arbitrary codes, ref values and deep links to the
// parsers: none may panic, an accepted code is of the documented alphabet
// and length, and an accepted destination always leads to an allowed domain.
func FuzzParseLinkInput(f *testing.F) {
	for _, seed := range []struct{ code, dest, utm string }{
		{"jane", "https://shop.acme.example/p?x=1", "spring"},
		{"Ab3dE6gH", "", ""},
		{"admin", "https://evil.example/", "a&b"},
		{"12345", "javascript:alert(1)", "\x00"},
		{"jane doe", `https://evil.example\@shop.acme.example/`, "é"},
		{"../etc", "https://shop.acme.example@evil.example/", "%zz"},
		{"", "//evil.example", "utm_source=x"},
	} {
		f.Add(seed.code, seed.dest, seed.utm)
	}
	p := &tandem.Program{ID: "prg_fuzz", DestinationURL: "https://www.acme.example/", AllowedDomains: []string{"www.acme.example", "shop.acme.example"}}
	f.Fuzz(func(t *testing.T, code, dest, utm string) {
		if err := tandem.ValidCode(code); err == nil {
			if len(code) < tandem.MinCode || len(code) > tandem.MaxCode || strings.Trim(code, "0123456789") == "" {
				t.Fatalf("ValidCode accepted %q", code)
			}
			for _, r := range code {
				if !strings.ContainsRune("-_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", r) {
					t.Fatalf("ValidCode accepted %q with %q", code, r)
				}
			}
			if _, err := tandem.ParseRef(code); err != nil {
				t.Fatalf("ParseRef refused the valid code %q: %v", code, err)
			}
		}
		if ref, err := tandem.ParseRef(code); err == nil && (ref != code || url.QueryEscape(ref) != ref) {
			t.Fatalf("ParseRef(%q) = %q, which is not URL-safe", code, ref)
		}
		l, err := tandem.NewLink(p, tandem.LinkInput{Channel: tandem.ChannelEmail, Code: code, Destination: dest,
			UTM: tandem.UTM{Source: utm, Campaign: utm}})
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("NewLink error %v is not EINVALID", err)
			}
			return
		}
		target, err := tandem.TargetURL(p, l)
		if err != nil {
			t.Fatalf("TargetURL refused an accepted link %+v: %v", l, err)
		}
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || !p.AllowsURL(target) {
			t.Fatalf("TargetURL(%q) = %q: not on an allowed domain", dest, target)
		}
		if strings.ContainsAny(target, " \\\r\n\t") {
			t.Fatalf("TargetURL(%q) = %q has characters a browser may rewrite", dest, target)
		}
	})
}
