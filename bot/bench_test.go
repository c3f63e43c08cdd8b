package bot

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// uniqueUAs returns n distinct user agents built from the table, people or
// bots, each made unique by a build number as real version churn would.
func uniqueUAs(n int, fromPeople bool) []string {
	var base []string
	if fromPeople {
		for _, tt := range people {
			base = append(base, tt.ua)
		}
	} else {
		for _, tt := range bots[:20] { // crawlers and previews: bots with any suffix
			base = append(base, tt.ua)
		}
	}
	uas := make([]string, n)
	for i := range uas {
		uas[i] = fmt.Sprintf("%s build/%d", base[i%len(base)], i)
	}
	return uas
}

// BenchmarkIsBotCold measures a check that misses the cache: the rules run
// and the verdict is stored, evicting another. The ring of user agents is
// eight times the cache, and misses enter unreferenced, so no check hits.
func BenchmarkIsBotCold(b *testing.B) {
	for _, kind := range []struct {
		name   string
		people bool
	}{{"people", true}, {"bots", false}} {
		b.Run(kind.name, func(b *testing.B) {
			const size = 1024
			d := New(size)
			uas := uniqueUAs(8*size, kind.people)
			i := 0
			for b.Loop() {
				d.IsBot(uas[i%len(uas)])
				i++
			}
		})
	}
}

// BenchmarkIsBotCached measures a check served from the cache.
func BenchmarkIsBotCached(b *testing.B) {
	d := New(1024)
	var uas []string
	for _, tt := range people {
		uas = append(uas, tt.ua)
	}
	for _, tt := range bots {
		uas = append(uas, tt.ua)
	}
	for _, ua := range uas {
		d.IsBot(ua)
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			d.IsBot(uas[i%len(uas)])
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				d.IsBot(uas[i%len(uas)])
				i++
			}
		})
	})
}

// BenchmarkMatch compares ways of running the rules on a browser's user
// agent (the worst case: nothing matches, so every rule is tried) without
// the cache: the trigram index used here, a plain loop over the literals,
// and the upstream patterns joined into one regexp.
func BenchmarkMatch(b *testing.B) {
	ua := people[0].ua
	r := loadRules()
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			r.match(ua)
		}
	})
	b.Run("loop", func(b *testing.B) {
		lits := append([]string(nil), r.short...)
		for _, l := range r.index {
			if l.re < 0 {
				lits = append(lits, l.s)
			}
		}
		for b.Loop() {
			lower := strings.ToLower(ua)
			for _, l := range lits {
				if strings.Contains(lower, l) {
					b.Fatal(l)
				}
			}
			for _, c := range r.res {
				if c.re.MatchString(ua) {
					b.Fatal(c.pattern)
				}
			}
		}
	})
	b.Run("one-regexp", func(b *testing.B) {
		re := regexp.MustCompile("(?i)" + strings.Join(mustUpstream(b).patterns, "|"))
		for b.Loop() {
			if re.MatchString(ua) {
				b.Fatal("match")
			}
		}
	})
}

// BenchmarkCompileRules measures the one-off cost New pays per process.
func BenchmarkCompileRules(b *testing.B) {
	for b.Loop() {
		if _, err := compileRules(crawlerJSON); err != nil {
			b.Fatal(err)
		}
	}
}
