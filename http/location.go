package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// location is the 302 of a short link's target, split around the click ID
// so that a click only concatenates: the URL with the ID is prefix + ID +
// suffix, and the parts are kept escaped for the Location header and for
// the body's link, as http.Redirect escapes them.
type location struct {
	prefix, suffix         string // the landing URL's parts, as recorded
	hdrPrefix, hdrSuffix   string // for the Location header (non-ASCII bytes hex-escaped)
	htmlPrefix, htmlSuffix string // for the body's link (HTML-escaped)
}

// newLocation splits target around the value of its added parameter name.
// A target that does not parse is left as it is, without the parameter.
func newLocation(target, name string) *location {
	prefix, suffix, ok := splitParam(target, name)
	if !ok {
		prefix, suffix = target, ""
	}
	return &location{prefix: prefix, suffix: suffix,
		hdrPrefix: hexEscapeNonASCII(prefix), hdrSuffix: hexEscapeNonASCII(suffix),
		htmlPrefix: htmlEscaper.Replace(prefix), htmlSuffix: htmlEscaper.Replace(suffix)}
}

// url returns the landing URL with the click ID as the parameter's value.
func (l *location) url(id string) string { return l.prefix + url.QueryEscape(id) + l.suffix }

// redirect answers the 302 to the URL with the click ID: the same header
// and body as http.Redirect, without its parsing and escaping per request.
func (l *location) redirect(w http.ResponseWriter, r *http.Request, id string) {
	id = url.QueryEscape(id) // a click ID's characters ([a-z0-9_]) stay as they are, without a copy
	h := w.Header()
	_, hadCT := h["Content-Type"]
	h["Location"] = []string{l.hdrPrefix + id + l.hdrSuffix}
	if !hadCT && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h["Content-Type"] = []string{"text/html; charset=utf-8"}
	}
	w.WriteHeader(http.StatusFound)
	if !hadCT && r.Method == http.MethodGet {
		body := make([]byte, 0, len(l.htmlPrefix)+len(id)+len(l.htmlSuffix)+32)
		body = append(body, `<a href="`...)
		body = append(append(append(body, l.htmlPrefix...), id...), l.htmlSuffix...)
		body = append(body, "\">Found</a>.\n\n"...)
		w.Write(body)
	}
}

// splitParam returns target with name= added as the last query parameter,
// split where its value goes (before any fragment); ok is false if target
// does not parse.
func splitParam(target, name string) (prefix, suffix string, ok bool) {
	u, err := url.Parse(target)
	if err != nil {
		return "", "", false
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += url.QueryEscape(name) + "="
	u.ForceQuery = false
	if u.Fragment != "" {
		suffix = "#" + u.EscapedFragment()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), suffix, true
}

// htmlEscaper escapes as net/http's htmlEscape does.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

// hexEscapeNonASCII escapes the bytes at or above 0x80 as %xx, as
// net/http does for a Location header.
func hexEscapeNonASCII(s string) string {
	var b []byte
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b = append(b, s[last:i]...)
			b = append(b, '%')
			b = strconv.AppendInt(b, int64(s[i]), 16)
			last = i + 1
		}
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// locationCacheMax bounds the locations kept: past it the cache starts afresh.
const locationCacheMax = 10000

// locationCache keeps the location of each (target, click parameter): a
// pure function of the two, so it never goes stale.
type locationCache struct {
	mu sync.RWMutex
	m  map[locationKey]*location
}

type locationKey struct{ target, param string }

func (c *locationCache) get(target, param string) *location {
	key := locationKey{target, param}
	c.mu.RLock()
	l := c.m[key]
	c.mu.RUnlock()
	if l != nil {
		return l
	}
	l = newLocation(target, param)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= locationCacheMax {
		c.m = make(map[locationKey]*location)
	}
	c.m[key] = l
	c.mu.Unlock()
	return l
}
