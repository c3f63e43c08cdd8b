// Package payout holds Tandem's payout rules in plain Go, with no SQL or
// HTTP: when a program's batches are due (its schedule, in its time zone),
// which of a partner's approved commissions are due (net terms, holds), how
// much a line pays (debts from clawbacks are netted), and why a partner is
// skipped (no method, a currency the method cannot pay, the agreement not
// accepted, below the minimum). Storage calls Decide with what it read and
// stores what Decide returns, so the rules are tested here exhaustively.
//
// It also checks payout method details (IBAN checksums, emails), writes the
// PayPal and Wise upload files, and defines the Provider interface the
// senders (file export, Stripe Connect, product credit) implement.
package payout

import (
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// ValidateSettings checks a program's payout settings and fills defaults:
// manual schedule, UTC, every method.
func ValidateSettings(s *tandem.PayoutSettings, programCurrency string) error {
	if s.Schedule == "" {
		s.Schedule = tandem.ScheduleManual
	}
	switch s.Schedule {
	case tandem.ScheduleManual, tandem.ScheduleTwiceMonthly:
	case tandem.ScheduleMonthly:
		if s.DayOfMonth < 1 || s.DayOfMonth > 28 {
			return tandem.Invalidf("day_of_month", "Pick a day from 1 to 28, so every month has it.")
		}
	case tandem.ScheduleWeekly:
		if s.Weekday < time.Sunday || s.Weekday > time.Saturday {
			return tandem.Invalidf("weekday", "Pick a weekday from 0 (Sunday) to 6 (Saturday).")
		}
	default:
		return tandem.Invalidf("schedule", "The schedule must be manual, monthly, twice_monthly or weekly.")
	}
	if s.NetDays < 0 || s.NetDays > 365 {
		return tandem.Invalidf("net_days", "Net terms must be 0 to 365 days.")
	}
	if s.Currency == "" {
		s.Currency = programCurrency
	}
	if s.Currency != programCurrency {
		return tandem.Invalidf("currency", "The program earns in %s and Tandem converts no currencies: pay in %s.", programCurrency, programCurrency)
	}
	for cur, min := range s.Minimums {
		if min < 0 || min > tandem.MaxAmount {
			return tandem.Invalidf("minimums", "The minimum for %s must be zero or more.", cur)
		}
	}
	if len(s.Methods) == 0 {
		s.Methods = []tandem.PayoutMethodKind{tandem.MethodPayPal, tandem.MethodWise, tandem.MethodStripeConnect, tandem.MethodProductCredit}
	}
	for _, m := range s.Methods {
		if _, ok := methodCurrencies[m]; !ok {
			return tandem.Invalidf("methods", "Unknown payout method %q.", m)
		}
	}
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		return tandem.Invalidf("time_zone", "Unknown time zone %q.", s.TimeZone)
	}
	return nil
}

// location returns the settings' time zone (UTC when unknown).
func location(s *tandem.PayoutSettings) *time.Location {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Next returns the first scheduled proposal strictly after t: midnight of
// the schedule's next day in the settings' time zone. It is zero for a
// manual schedule.
func Next(s *tandem.PayoutSettings, t time.Time) time.Time {
	loc := location(s)
	local := t.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for range 62 { // two months of days always contain the next run
		day = day.AddDate(0, 0, 1)
		if runsOn(s, day) {
			return day.UTC()
		}
	}
	return time.Time{}
}

// Previous returns the latest scheduled proposal at or before t (zero for a
// manual schedule or none within two months).
func Previous(s *tandem.PayoutSettings, t time.Time) time.Time {
	loc := location(s)
	local := t.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for range 62 {
		if runsOn(s, day) {
			return day.UTC()
		}
		day = day.AddDate(0, 0, -1)
	}
	return time.Time{}
}

func runsOn(s *tandem.PayoutSettings, day time.Time) bool {
	switch s.Schedule {
	case tandem.ScheduleMonthly:
		return day.Day() == s.DayOfMonth
	case tandem.ScheduleTwiceMonthly:
		return day.Day() == 1 || day.Day() == 16
	case tandem.ScheduleWeekly:
		return day.Weekday() == s.Weekday
	}
	return false
}

// Commission is what Decide needs of an approved, unclaimed commission.
type Commission struct {
	ID         string
	Net        int64 // amount after reversals
	ApprovedAt time.Time
	Held       bool // held by finance
}

// Candidate is one partner's position in one currency and account family
// (cash or credit), as storage read it.
type Candidate struct {
	PartnerID string
	Name      string
	Currency  string
	Credit    bool // product-credit rewards: always paid as credit
	// Method is the partner's payout method; nil when they have none.
	Method *tandem.PayoutMethod
	// AgreementAccepted is false when the program's current agreement
	// waits for the partner.
	AgreementAccepted bool
	// Commissions are the partner's approved commissions in no line.
	Commissions []Commission
	// Debt is the payable balance minus the unclaimed commissions and the
	// open lines: negative when clawbacks after a payout are still owed.
	Debt int64
}

// Decision is a proposed line, or why there is none.
type Decision struct {
	Amount      int64
	Method      tandem.PayoutMethodKind
	Commissions []string // the IDs the line claims
	Skip        string   // why no line; empty when there is one
	// Waiting is what is approved but not yet due by net terms or holds.
	Waiting int64
}

// Decide applies the settings to one candidate at now: the commissions due
// by net terms and not held, less any debt, paid through the partner's
// method when it accepts the currency and the total reaches the minimum.
func Decide(s *tandem.PayoutSettings, c Candidate, now time.Time) Decision {
	var d Decision
	var due, held int64
	cutoff := now.AddDate(0, 0, -s.NetDays)
	var notDue time.Time
	for _, k := range c.Commissions {
		switch {
		case k.Net <= 0:
		case k.Held:
			held += k.Net
			d.Waiting += k.Net
		case k.ApprovedAt.After(cutoff):
			d.Waiting += k.Net
			if at := k.ApprovedAt.AddDate(0, 0, s.NetDays); notDue.IsZero() || at.Before(notDue) {
				notDue = at
			}
		default:
			due += k.Net
			d.Commissions = append(d.Commissions, k.ID)
		}
	}
	d.Amount = due + min(c.Debt, 0)
	d.Method = tandem.MethodProductCredit
	if !c.Credit && c.Method != nil {
		d.Method = c.Method.Kind
	}
	minimum := s.Minimums[c.Currency]
	switch {
	case due == 0 && held > 0:
		d.Skip = fmt.Sprintf("%s is held by finance.", tandem.FormatAmount(held, c.Currency))
	case due == 0 && !notDue.IsZero():
		d.Skip = fmt.Sprintf("Not due yet: commissions are paid %d days after approval (the next on %s).", s.NetDays, notDue.Format("2 Jan 2006"))
	case due == 0:
		d.Skip = "Nothing approved to pay."
	case !c.AgreementAccepted:
		d.Skip = "The program's current agreement is not accepted yet."
	case !c.Credit && c.Method == nil:
		d.Skip = "No payout method on the partner's profile."
	case !c.Credit && !s.Accepts(c.Method.Kind):
		d.Skip = fmt.Sprintf("The program does not pay through %s.", c.Method.Kind.Name())
	case CanPay(d.Method, c.Currency) != nil:
		d.Skip = tandem.ErrorMessage(CanPay(d.Method, c.Currency))
	case d.Amount <= 0:
		d.Skip = fmt.Sprintf("Clawbacks of %s are still owed; they are netted from later commissions.", tandem.FormatAmount(-c.Debt, c.Currency))
	case d.Amount < minimum:
		d.Skip = fmt.Sprintf("%s is below the minimum payout of %s.", tandem.FormatAmount(d.Amount, c.Currency), tandem.FormatAmount(minimum, c.Currency))
	}
	if d.Skip != "" {
		d.Commissions = nil
	}
	return d
}

// LineAmount is a line's amount when finance approves it: its commissions'
// net total, less what the partner still owes (available is the payable
// balance minus unclaimed commissions and other open lines).
func LineAmount(claimed, available int64) int64 {
	return min(claimed, available)
}
