// Package bot tells crawlers, previews and scripts from people by their user
// agent, so that clicks from bots are recorded but never counted or
// attributed.
//
// The rules are the crawler-user-agents list (vendored in this directory,
// MIT licensed, see README.md) read case-insensitively, plus a few script
// clients it misses (listed in rules.go) and the empty user agent. Most upstream patterns are plain strings, so they are
// matched as substrings through a small index; only the few real regexps run
// as regexps, and only when the user agent holds a literal they need. One
// regexp of all patterns would cost over a millisecond a check.
//
// A bot that sends a browser's user agent is a person here: this package
// only reads what the client says about itself.
package bot

import "strings"

// Detector classifies user agents, remembering recent verdicts. It is safe
// for concurrent use. The zero Detector works but caches nothing.
type Detector struct {
	cache *cache
}

// New returns a Detector that remembers the verdicts for up to cacheSize
// user agents (none when cacheSize < 1). The first call in a process
// compiles the rules (under 10 ms), so that no request pays for it.
func New(cacheSize int) *Detector {
	loadRules()
	return &Detector{cache: newCache(cacheSize)}
}

// IsBot reports whether userAgent is a crawler, a link-preview fetcher, a
// script or HTTP library, or missing. Browsers, including the in-app
// browsers of social apps, are people.
func (d *Detector) IsBot(userAgent string) bool {
	if strings.TrimSpace(userAgent) == "" {
		return true // browsers always send one
	}
	if d.cache == nil {
		return loadRules().match(userAgent) != ""
	}
	key, h := d.cache.key(userAgent)
	if bot, ok := d.cache.get(key, h); ok {
		return bot
	}
	bot := loadRules().match(userAgent) != ""
	d.cache.put(key, h, bot)
	return bot
}
