// Package tandem holds Tandem's domain: the types every part of the system
// agrees on (programs, partners, memberships, audit entries, money, IDs),
// the error codes that travel from storage to the user, and the service
// interfaces that the storage package implements and the HTTP server, the
// background jobs and the command line call.
//
// It imports nothing of the application and no database or HTTP package, so
// the rules in it (and in the pure rule packages beside it) can be tested on
// their own. See docs/model.md for the whole domain model.
package tandem

import "time"

// Version is the version of the running binary. It is set at build time with
// -ldflags "-X github.com/tandem-prm/tandem.Version=v1.2.3".
var Version = "dev"

// Clock returns the current time. Services take one instead of calling
// time.Now so that hold periods, schedules and tests can control time.
type Clock func() time.Time

// SystemClock is the Clock of a running server: the wall clock in UTC.
func SystemClock() time.Time { return time.Now().UTC() }
