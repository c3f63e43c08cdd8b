package http

import "time"

// Helpers the API operations (api_*.go) share.

// ContentType implements huma.ContentTypeFilter: a Problem an API handler
// returns is sent as application/problem+json (RFC 9457), like the ones the
// API middleware and Server.Error write, not as plain application/json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// apiTime is a stored time as the API shows it: RFC 3339 in UTC.
func apiTime(t time.Time) time.Time { return t.UTC() }

// apiOptionalTime is an optional time: null when zero.
func apiOptionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// apiOptional is an optional reference: null when empty.
func apiOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nonNil returns s, or an empty slice for nil, so that JSON lists are [] and never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
