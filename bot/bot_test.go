package bot

import (
	"encoding/json"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"testing"
)

// people are real browsers' user agents: desktop and mobile, and the in-app
// browsers that open a partner's link inside a social app.
var people = []struct{ name, ua string }{
	{"Chrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"},
	{"Chrome macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"},
	{"Chrome Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"},
	{"Chrome ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 16433.66.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"},
	{"Chrome Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36"},
	{"Chrome iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/142.0.7444.77 Mobile/15E148 Safari/604.1"},
	{"Firefox Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0"},
	{"Firefox macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:145.0) Gecko/20100101 Firefox/145.0"},
	{"Firefox Linux", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0"},
	{"Firefox Android", "Mozilla/5.0 (Android 15; Mobile; rv:145.0) Gecko/145.0 Firefox/145.0"},
	{"Firefox iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/145.0 Mobile/15E148 Safari/605.1.15"},
	{"Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15"},
	{"Safari iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1"},
	{"Safari iPad", "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1"},
	{"Edge Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0"},
	{"Edge macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0"},
	{"Edge Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36 EdgA/142.0.0.0"},
	{"Edge iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/142.0.3595.66 Mobile/15E148 Safari/605.1.15"},
	{"Samsung Internet", "Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36"},
	{"Opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 OPR/125.0.0.0"},
	{"Vivaldi", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Vivaldi/7.6.3797.63"},
	{"Yandex Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 YaBrowser/25.8.0.0 Safari/537.36"},
	{"Amazon Silk", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/138.3.1 like Chrome/138.0.7204.179 Safari/537.36"},
	{"DuckDuckGo iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15"},
	{"Android WebView", "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/141.0.7390.122 Mobile Safari/537.36"},
	{"Instagram iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 403.0.0.27.75 (iPhone15,3; iOS 18_6; en_US; en; scale=3.00; 1290x2796; 789012345; IABMV/1)"},
	{"Instagram Android", "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/141.0.7390.122 Mobile Safari/537.36 Instagram 403.0.0.43.81 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; en_US; 789012345)"},
	{"Facebook iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/530.0.0.40.108;FBBV/789012345;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/18.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/790123456;IABMV/1]"},
	{"Facebook Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/141.0.7390.122 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/530.0.0.48.74;IABMV/1;]"},
	{"LinkedIn iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.31.1475"},
	{"Snapchat iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/13.60.0.44 (like Safari/8621.1.15.10.7, panda)"},
	{"TikTok Android", "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/141.0.7390.122 Mobile Safari/537.36 trill_410503 BytedanceWebview/d8a21c6"},
	{"X Android", "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 TwitterAndroid"},
	{"Pinterest iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]"},
	{"Google app iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/390.0.786180461 Mobile/15E148 Safari/604.1"},
	{"WeChat", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.61(0x18003d2f) NetType/WIFI Language/zh_CN"},
}

// bots are crawlers, link-preview fetchers and scripts. Those marked extra
// are caught only by this package's additions to the upstream list.
var bots = []struct {
	name, ua string
	extra    bool
}{
	{"Googlebot desktop", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/142.0.7444.59 Safari/537.36", false},
	{"Googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.7444.59 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", false},
	{"Google AdsBot", "AdsBot-Google (+http://www.google.com/adsbot.html)", false},
	{"Bingbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", false},
	{"AhrefsBot", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", false},
	{"SemrushBot", "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", false},
	{"YandexBot", "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", false},
	{"Applebot", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", false},
	{"GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", false},
	{"Slackbot", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", false},
	{"facebookexternalhit", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", false},
	{"Twitterbot", "Twitterbot/1.0", false},
	{"LinkedInBot", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", false},
	{"WhatsApp", "WhatsApp/2.23.20.0 A", false},
	{"Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", false},
	{"TelegramBot", "TelegramBot (like TwitterBot)", false},
	{"iMessage preview", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0", false},
	{"Skype preview", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com", false},
	{"Pinterestbot", "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)", false},
	{"curl", "curl/8.5.0", false},
	{"Wget", "Wget/1.21.4", false},
	{"python-requests", "python-requests/2.32.3", false},
	{"python-httpx", "python-httpx/0.28.1", false},
	{"aiohttp", "Python/3.12 aiohttp/3.11.11", false},
	{"Go-http-client 1.1", "Go-http-client/1.1", false},
	{"Go-http-client 2.0", "Go-http-client/2.0", false},
	{"okhttp", "okhttp/4.12.0", false},
	{"axios", "axios/1.7.9", false},
	{"node-fetch", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", false},
	{"HeadlessChrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36", false},
	{"PhantomJS", "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", false},
	{"HTTPie", "HTTPie/3.2.4", false},
	{"Node fetch", "node", true},
	{"Node fetch, older", "undici", true},
	{"Deno", "Deno/2.1.4", true},
	{"Bun", "Bun/1.1.38", true},
	{"Java", "Java/21.0.5", true},
	{"Postman", "PostmanRuntime/7.43.0", true},
	{"Insomnia", "insomnia/10.3.0", true},
	{"Dart", "Dart/3.6 (dart:io)", true},
	{"Ruby Net::HTTP", "Ruby", true},
	{"Faraday", "Faraday v2.12.2", true},
	{"got", "got (https://github.com/sindresorhus/got)", false},
	{"Guzzle", "GuzzleHttp/7", true},
	{"PowerShell 5", "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.5247", true},
	{"PowerShell 7", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.26100; en-US) PowerShell/7.4.6", true},
	{"bare Mozilla", "Mozilla/5.0", true},
	{"bare Mozilla 4", " Mozilla/4.0 ", true},
	{"empty", "", true},
	{"blank", "  ", true},
}

func TestIsBot(t *testing.T) {
	t.Parallel()
	if n := len(people) + len(bots); n < 40 {
		t.Fatalf("only %d user agents in the table", n)
	}
	for _, cacheSize := range []int{0, 1000} {
		d := New(cacheSize)
		for range 2 { // the second round is served from the cache
			for _, tt := range people {
				if d.IsBot(tt.ua) {
					t.Errorf("cache %d: %s is a bot (rule %q): %s", cacheSize, tt.name, loadRules().match(tt.ua), tt.ua)
				}
			}
			for _, tt := range bots {
				if !d.IsBot(tt.ua) {
					t.Errorf("cache %d: %s is a person: %s", cacheSize, tt.name, tt.ua)
				}
			}
		}
	}
	var zero Detector
	if zero.IsBot(people[0].ua) || !zero.IsBot(bots[0].ua) {
		t.Error("the zero Detector classifies wrongly")
	}
}

// upstream compiles every upstream pattern on its own, case-insensitively:
// the plain reading of the data that the literal split must agree with.
type upstream struct {
	patterns []string
	res      []*regexp.Regexp
	// instances are the example user agents the data gives, with the index
	// of the pattern they illustrate.
	instances []instance
}

type instance struct {
	ua      string
	pattern int
}

var loadUpstream = sync.OnceValues(func() (*upstream, error) {
	var crawlers []struct {
		Pattern   string   `json:"pattern"`
		Instances []string `json:"instances"`
	}
	if err := json.Unmarshal(crawlerJSON, &crawlers); err != nil {
		return nil, err
	}
	u := &upstream{}
	for i, c := range crawlers {
		re, err := regexp.Compile("(?i)" + c.Pattern)
		if err != nil {
			return nil, err
		}
		u.patterns = append(u.patterns, c.Pattern)
		u.res = append(u.res, re)
		for _, ua := range c.Instances {
			u.instances = append(u.instances, instance{ua, i})
		}
	}
	return u, nil
})

func (u *upstream) match(ua string) string {
	for i, re := range u.res {
		if re.MatchString(ua) {
			return u.patterns[i]
		}
	}
	return ""
}

func mustUpstream(t testing.TB) *upstream {
	t.Helper()
	u, err := loadUpstream()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestAgreesWithUpstream checks that splitting the patterns into literals
// and regexps changes no verdict: on every instance the data lists, on the
// table above and on variants built to hit the anchors and case.
func TestAgreesWithUpstream(t *testing.T) {
	t.Parallel()
	u, r := mustUpstream(t), loadRules()
	if len(u.instances) < 1000 {
		t.Errorf("only %d upstream instances", len(u.instances))
	}
	var uas []string
	for _, in := range u.instances {
		// An instance that matches its own pattern is a bot upstream; the
		// few that do not are checked against every pattern below.
		if !u.res[in.pattern].MatchString(in.ua) {
			uas = append(uas, in.ua)
			continue
		}
		if r.match(in.ua) == "" {
			t.Errorf("split says person, upstream pattern %q says bot: %s", u.patterns[in.pattern], in.ua)
		}
	}
	for _, tt := range people {
		uas = append(uas, tt.ua)
	}
	for _, tt := range bots {
		if !tt.extra {
			uas = append(uas, tt.ua)
		}
	}
	uas = append(uas,
		"x curl/8.5.0", "CURL/8", "Mozilla/5.0 x AdsBot-Google-Mobile", "AdsBot-Google",
		"a GoogleAssociationService", "GoogleAssociationService x", "Silk/1.0", "x Silk/1.0",
		"WGET/1.0", "SISTRIX Crawler", "sistrix crawler", "BlogTraffic/1.23 Feed-Fetcher",
		"BlogTraffic/x Feed-Fetcher", "Foo ContextualBot bar outcomes.net", "Foo PTST/1", "FooPTST/1")
	for _, ua := range uas {
		got, want := r.match(ua), u.match(ua)
		if (got != "") != (want != "") {
			t.Errorf("split says bot=%v (%q), upstream says bot=%v (%q): %s", got != "", got, want != "", want, ua)
		}
	}
}

// TestRules pins the shape of the compiled rules, so an update of the data
// that turns many patterns into regexps shows up in review.
func TestRules(t *testing.T) {
	t.Parallel()
	u, r := mustUpstream(t), loadRules()
	if r.upstreamLiterals+r.upstreamRegexps != len(u.patterns) {
		t.Errorf("%d literal + %d regexp patterns, want %d in all", r.upstreamLiterals, r.upstreamRegexps, len(u.patterns))
	}
	if r.upstreamRegexps > 40 {
		t.Errorf("%d upstream patterns are regexps; the split expects a few", r.upstreamRegexps)
	}
	for _, c := range r.res {
		if c.need == "" {
			t.Logf("regexp %q has no required literal and runs on every user agent", c.pattern)
		}
	}
	strs := len(r.short)
	for _, l := range r.index {
		if l.re < 0 {
			strs++
		}
	}
	t.Logf("%d upstream patterns: %d literal, %d regexps; %d distinct substrings with the extras",
		len(u.patterns), r.upstreamLiterals, r.upstreamRegexps, strs)
}

// TestExtrasAreNotUpstream keeps the additions to what the data misses, and
// each one backed by a test user agent.
func TestExtrasAreNotUpstream(t *testing.T) {
	t.Parallel()
	u := mustUpstream(t)
	covered := make(map[string]bool)
	for _, tt := range bots {
		if !tt.extra || strings.TrimSpace(tt.ua) == "" {
			continue
		}
		if p := u.match(tt.ua); p != "" {
			t.Errorf("%s (%q) is upstream already (pattern %q): drop it from the extras", tt.name, tt.ua, p)
		}
		lower := strings.ToLower(tt.ua)
		for _, e := range extraSubstrings {
			if strings.Contains(lower, e) {
				covered[e] = true
			}
		}
		covered[strings.TrimSpace(lower)] = true
	}
	for _, e := range append(append([]string(nil), extraSubstrings...), extraExact...) {
		if e != strings.ToLower(e) {
			t.Errorf("extra %q is not lowercase", e)
		}
		if !covered[e] {
			t.Errorf("extra %q has no user agent in the bots table", e)
		}
		for _, tt := range people {
			if strings.Contains(strings.ToLower(tt.ua), e) && e != "mozilla/5.0" && e != "mozilla/4.0" {
				t.Errorf("extra %q matches %s", e, tt.name)
			}
		}
	}
}

// TestLongUserAgents checks that user agents longer than a cache key keep
// their own verdicts, and that the cache never holds a long key.
func TestLongUserAgents(t *testing.T) {
	t.Parallel()
	d := New(100)
	pad := people[0].ua + strings.Repeat(" x", 400)
	person, bot := pad+" Safari/537.36", pad+" Googlebot/2.1"
	for range 3 {
		if d.IsBot(person) {
			t.Error("long browser user agent is a bot")
		}
		if !d.IsBot(bot) {
			t.Error("long user agent ending in Googlebot is a person")
		}
	}
	if n := d.cache.len(); n != 2 {
		t.Errorf("cache holds %d entries, want 2", n)
	}
	for i := range d.cache.shards {
		for k := range d.cache.shards[i].index {
			if len(k) > maxKey {
				t.Errorf("cache key of %d bytes", len(k))
			}
		}
	}
}

func TestLiterals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    []string // nil: a regexp
	}{
		{`Googlebot\/`, []string{"googlebot/"}},
		{`yandex\.com\/bots`, []string{"yandex.com/bots"}},
		{`Googlebot-Mobile`, []string{"googlebot-mobile"}},
		{`[wW]get`, []string{"wget"}},
		{`S[eE][mM]rushBot`, []string{"semrushbot"}},
		{`Ahrefs(Bot|SiteAudit)`, []string{"ahrefsbot", "ahrefssiteaudit"}},
		{`Netumo|netumo`, []string{"netumo"}},
		{`Mediapartners \(Googlebot\)`, []string{"mediapartners (googlebot)"}},
		{`^curl`, nil},
		{`SSL Labs$`, nil},
		{`AdsBot-Google([^-]|$)`, nil},
		{`Spider[\s\S]*spider\.com`, nil},
		{`BlogTraffic\/\d\.\d+ Feed-Fetcher`, nil},
		{`bot?`, nil},
	}
	for _, tt := range tests {
		re, err := syntaxParse(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := literals(re)
		if tt.want == nil {
			if ok {
				t.Errorf("literals(%q) = %q, want a regexp", tt.pattern, got)
			}
			continue
		}
		if !ok || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("literals(%q) = %q, %v; want %q", tt.pattern, got, ok, tt.want)
		}
	}
}

func syntaxParse(pattern string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return re.Simplify(), nil
}
