package bot

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
)

// crawlerJSON is the upstream list of crawler patterns, vendored unchanged
// (see README.md for its version and how to update it).
//
//go:embed crawler-user-agents.json
var crawlerJSON []byte

// extraSubstrings are script and HTTP-library clients the upstream list
// misses, matched like its literals: lowercase, anywhere in the user agent.
// The common ones (curl, wget, python-requests, Go-http-client, okhttp,
// axios, node-fetch, HeadlessChrome, PhantomJS) and the link-preview fetchers
// are upstream already; TestExtrasAreNotUpstream keeps these lists free of
// anything the data covers.
var extraSubstrings = []string{
	"(dart:io)",       // Dart's HttpClient: "Dart/3.6 (dart:io)"
	"bun/",            // Bun's fetch: "Bun/1.1.38"
	"deno/",           // Deno's fetch: "Deno/2.1.4"
	"faraday v",       // Ruby's Faraday: "Faraday v2.12.2"
	"guzzlehttp/",     // PHP's Guzzle: "GuzzleHttp/7"
	"insomnia/",       // the Insomnia API client
	"java/",           // Java's HttpURLConnection and HttpClient: "Java/21.0.5"
	"postmanruntime/", // Postman and Newman
	"powershell/",     // Invoke-WebRequest: "... WindowsPowerShell/5.1..." and "... PowerShell/7.4.6"
	"undici",          // undici, and Node's built-in fetch in older versions
}

// extraExact are whole user agents (compared lowercase, spaces trimmed) that
// only scripts send but that are too short to match as substrings.
var extraExact = []string{
	"node",        // Node's built-in fetch (newer versions)
	"ruby",        // Ruby's Net::HTTP
	"mozilla/5.0", // no browser sends the bare token; scripts pretending do
	"mozilla/4.0",
}

// maxLiteralsPerPattern bounds how far one upstream pattern is expanded into
// literals: "Ahrefs(Bot|SiteAudit)" becomes two, "[wW]get" one (the match is
// case-insensitive); anything wider stays a regexp.
const maxLiteralsPerPattern = 16

// rules is the compiled form of the upstream data plus the extras: literals
// found through a trigram index, then the few real regexps.
type rules struct {
	// index holds the lowercase literals sorted by the hash of their first
	// three bytes: start[k]..start[k+1] is the run whose hash is k.
	index []literal
	start []uint16
	// short holds literals too short for the index; none today.
	short []string
	exact map[string]bool
	res   []compiledRegexp
	// always has a bit set for each regexp that has no required literal
	// and so runs on every user agent; none today.
	always uint64

	// upstreamLiterals and upstreamRegexps count upstream patterns by kind.
	upstreamLiterals, upstreamRegexps int
}

// literal is an entry of the index. A match of a literal with re < 0 marks a
// bot; a match of one with re >= 0 is only the literal that res[re] needs,
// and lets that regexp run.
type literal struct {
	s  string
	re int
}

// compiledRegexp is an upstream pattern that is not a set of literals. need is
// a lowercase literal every match contains, found through the index so the
// regexp runs only on user agents that could match.
type compiledRegexp struct {
	pattern string
	need    string
	re      *regexp.Regexp
}

// maxRegexps is how many regexps the bit set of candidates can hold.
const maxRegexps = 64

// loadRules parses the embedded data once per process; every Detector shares
// the result, which is read-only.
var loadRules = sync.OnceValue(func() *rules {
	r, err := compileRules(crawlerJSON)
	if err != nil {
		// The data is embedded at build time and tested: this is a bug.
		panic(fmt.Sprintf("bot: %v", err))
	}
	return r
})

// compileRules splits the upstream patterns into literals and regexps and
// builds the literal index.
func compileRules(data []byte) (*rules, error) {
	var crawlers []struct {
		Pattern string `json:"pattern"`
	}
	if err := json.Unmarshal(data, &crawlers); err != nil {
		return nil, fmt.Errorf("parse crawler-user-agents.json: %w", err)
	}
	r := &rules{exact: make(map[string]bool)}
	var lits []literal
	for _, c := range crawlers {
		parsed, err := syntax.Parse(c.Pattern, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", c.Pattern, err)
		}
		parsed = parsed.Simplify()
		if l, ok := literals(parsed); ok {
			for _, s := range l {
				lits = append(lits, literal{s: s, re: -1})
			}
			r.upstreamLiterals++
			continue
		}
		// (?i): the patterns are written in the bots' usual casing, but the
		// casing varies ("wget", "Wget"); upstream's Python library offers
		// the same case-insensitive reading.
		re, err := regexp.Compile("(?i)" + c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", c.Pattern, err)
		}
		if len(r.res) == maxRegexps {
			return nil, fmt.Errorf("more than %d patterns are regexps", maxRegexps)
		}
		cr := compiledRegexp{pattern: c.Pattern, need: requiredLiteral(parsed), re: re}
		if cr.need == "" {
			r.always |= 1 << len(r.res)
		} else {
			lits = append(lits, literal{s: cr.need, re: len(r.res)})
		}
		r.res = append(r.res, cr)
		r.upstreamRegexps++
	}
	for _, e := range extraSubstrings {
		lits = append(lits, literal{s: e, re: -1})
	}
	for _, e := range extraExact {
		r.exact[e] = true
	}

	// Sort by hash, and within a hash bot literals first so that a match
	// returns before a regexp's literal is looked at; this also puts
	// duplicates side by side.
	slices.SortFunc(lits, func(a, b literal) int {
		return cmp.Or(cmp.Compare(trigram(a.s), trigram(b.s)), cmp.Compare(a.re, b.re), strings.Compare(a.s, b.s))
	})
	lits = slices.Compact(lits)
	for _, l := range lits {
		if len(l.s) < 3 {
			if l.re >= 0 {
				return nil, fmt.Errorf("regexp %q needs %q, too short to index", r.res[l.re].pattern, l.s)
			}
			r.short = append(r.short, l.s)
		} else {
			r.index = append(r.index, l)
		}
	}
	if len(r.index) > 1<<16-1 {
		return nil, fmt.Errorf("%d literals overflow the index", len(r.index))
	}
	r.start = make([]uint16, indexSize+1)
	for _, l := range r.index {
		r.start[trigram(l.s)+1]++
	}
	for k := 1; k <= indexSize; k++ {
		r.start[k] += r.start[k-1]
	}
	return r, nil
}

// indexSize is the number of slots of the literal index: a few times the
// number of literals, so most slots hold none or one.
const (
	indexBits = 13
	indexSize = 1 << indexBits
)

// trigram hashes the first three bytes of s into an index slot; s must have
// three bytes or more.
func trigram(s string) int {
	x := uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16
	return int((x * 0x9E3779B1) >> (32 - indexBits))
}

// match reports the rule that marks ua as a bot: the literal, exact user
// agent or regexp pattern that matched, or "" for a person.
func (r *rules) match(ua string) string {
	lower := strings.ToLower(ua)
	if t := strings.TrimSpace(lower); r.exact[t] {
		return t
	}
	// Every position of the user agent is a possible start of a literal;
	// the index narrows the candidates to those whose first three bytes
	// hash alike, usually none or one.
	candidates := r.always
	for i := 0; i+2 < len(lower); i++ {
		rest := lower[i:]
		k := trigram(rest)
		for _, l := range r.index[r.start[k]:r.start[k+1]] {
			if strings.HasPrefix(rest, l.s) {
				if l.re < 0 {
					return l.s
				}
				candidates |= 1 << l.re
			}
		}
	}
	for _, l := range r.short {
		if strings.Contains(lower, l) {
			return l
		}
	}
	for i, c := range r.res {
		if candidates&(1<<i) != 0 && c.re.MatchString(ua) {
			return c.pattern
		}
	}
	return ""
}

// literals expands a parsed pattern into the lowercase strings it matches as
// a substring, if it is a small finite set of plain strings: escapes such as
// `\.` and `\/` are already resolved by the parser, and alternations and
// character classes multiply out. It returns false for anything else
// (anchors, repetition, wide classes).
func literals(re *syntax.Regexp) ([]string, bool) {
	out, ok := expand(re)
	if !ok || len(out) == 0 {
		return nil, false
	}
	for _, s := range out {
		if s == "" {
			return nil, false // would match every user agent
		}
	}
	return out, true
}

func expand(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= maxLiteralsPerPattern {
				return nil, false
			}
			for c := re.Rune[i]; c <= re.Rune[i+1]; c++ {
				set = append(set, strings.ToLower(string(c)))
			}
		}
		slices.Sort(set)
		set = slices.Compact(set)
		return set, len(set) <= maxLiteralsPerPattern
	case syntax.OpCapture:
		return expand(re.Sub[0])
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			parts, ok := expand(sub)
			if !ok || len(out)*len(parts) > maxLiteralsPerPattern {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(parts))
			for _, a := range out {
				for _, b := range parts {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			parts, ok := expand(sub)
			if !ok {
				return nil, false
			}
			out = append(out, parts...)
		}
		slices.Sort(out)
		out = slices.Compact(out)
		return out, len(out) <= maxLiteralsPerPattern
	}
	return nil, false
}

// requiredLiteral returns the longest lowercase literal that every match of
// a concatenation contains, or "" when there is none worth checking.
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	default:
		if l, ok := literals(re); ok && len(l) == 1 && len(l[0]) >= 3 {
			return l[0]
		}
	}
	return ""
}
