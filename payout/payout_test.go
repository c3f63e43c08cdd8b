package payout

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextAndPrevious(t *testing.T) {
	ny := "America/New_York"
	for _, tc := range []struct {
		name     string
		s        tandem.PayoutSettings
		at       string
		next     string
		previous string
	}{
		{"monthly on the 15th", tandem.PayoutSettings{Schedule: tandem.ScheduleMonthly, DayOfMonth: 15, TimeZone: "UTC"}, "2026-03-10 12:00", "2026-03-15 00:00", "2026-02-15 00:00"},
		{"monthly, on the day", tandem.PayoutSettings{Schedule: tandem.ScheduleMonthly, DayOfMonth: 15, TimeZone: "UTC"}, "2026-03-15 00:00", "2026-04-15 00:00", "2026-03-15 00:00"},
		{"monthly across the year", tandem.PayoutSettings{Schedule: tandem.ScheduleMonthly, DayOfMonth: 1, TimeZone: "UTC"}, "2026-12-20 09:00", "2027-01-01 00:00", "2026-12-01 00:00"},
		{"twice a month", tandem.PayoutSettings{Schedule: tandem.ScheduleTwiceMonthly, TimeZone: "UTC"}, "2026-02-03 00:00", "2026-02-16 00:00", "2026-02-01 00:00"},
		{"weekly on Monday", tandem.PayoutSettings{Schedule: tandem.ScheduleWeekly, Weekday: time.Monday, TimeZone: "UTC"}, "2026-03-04 10:00", "2026-03-09 00:00", "2026-03-02 00:00"},
		// Midnight in New York is 05:00 UTC (04:00 in summer time).
		{"time zone", tandem.PayoutSettings{Schedule: tandem.ScheduleMonthly, DayOfMonth: 1, TimeZone: ny}, "2026-04-01 03:00", "2026-04-01 04:00", "2026-03-01 05:00"},
		{"manual", tandem.PayoutSettings{Schedule: tandem.ScheduleManual, TimeZone: "UTC"}, "2026-04-01 03:00", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := date(tc.at)
			want := func(s string) time.Time {
				if s == "" {
					return time.Time{}
				}
				return date(s)
			}
			if got := Next(&tc.s, at); !got.Equal(want(tc.next)) {
				t.Errorf("Next = %v, want %v", got, tc.next)
			}
			if got := Previous(&tc.s, at); !got.Equal(want(tc.previous)) {
				t.Errorf("Previous = %v, want %v", got, tc.previous)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := date("2026-05-01 00:00")
	old, recent := now.AddDate(0, 0, -40), now.AddDate(0, 0, -5)
	paypal := &tandem.PayoutMethod{Kind: tandem.MethodPayPal}
	st := &tandem.PayoutSettings{NetDays: 30, Currency: "USD", Minimums: map[string]int64{"USD": 5000},
		Methods: []tandem.PayoutMethodKind{tandem.MethodPayPal, tandem.MethodStripeConnect}}
	due := []Commission{{ID: "a", Net: 4000, ApprovedAt: old}, {ID: "b", Net: 3000, ApprovedAt: old}}
	for _, tc := range []struct {
		name   string
		c      Candidate
		amount int64
		ids    int
		skip   string
	}{
		{"due and above minimum", Candidate{Method: paypal, AgreementAccepted: true, Commissions: due}, 7000, 2, ""},
		{"net terms keep a recent one", Candidate{Method: paypal, AgreementAccepted: true,
			Commissions: append([]Commission{{ID: "c", Net: 9000, ApprovedAt: recent}}, due...)}, 7000, 2, ""},
		{"only recent", Candidate{Method: paypal, AgreementAccepted: true, Commissions: []Commission{{ID: "c", Net: 9000, ApprovedAt: recent}}},
			0, 0, "Not due yet: commissions are paid 30 days after approval (the next on 26 May 2026)."},
		{"debt is netted", Candidate{Method: paypal, AgreementAccepted: true, Commissions: due, Debt: -1500}, 5500, 2, ""},
		{"debt below minimum", Candidate{Method: paypal, AgreementAccepted: true, Commissions: due, Debt: -2500}, 4500, 0,
			"45.00 USD is below the minimum payout of 50.00 USD."},
		{"debt exceeds", Candidate{Method: paypal, AgreementAccepted: true, Commissions: due, Debt: -9000}, -2000, 0,
			"Clawbacks of 90.00 USD are still owed; they are netted from later commissions."},
		{"held", Candidate{Method: paypal, AgreementAccepted: true, Commissions: []Commission{{ID: "a", Net: 9000, ApprovedAt: old, Held: true}}},
			0, 0, "90.00 USD is held by finance."},
		{"no method", Candidate{AgreementAccepted: true, Commissions: due}, 7000, 0, "No payout method on the partner's profile."},
		{"agreement", Candidate{Method: paypal, Commissions: due}, 7000, 0, "The program's current agreement is not accepted yet."},
		{"method refused", Candidate{Method: &tandem.PayoutMethod{Kind: tandem.MethodWise}, AgreementAccepted: true, Commissions: due}, 7000, 0,
			"The program does not pay through bank transfer (Wise)."},
		{"credit needs no method", Candidate{Credit: true, AgreementAccepted: true, Commissions: due}, 7000, 2, ""},
		{"nothing", Candidate{Method: paypal, AgreementAccepted: true}, 0, 0, "Nothing approved to pay."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Currency = "USD"
			d := Decide(st, tc.c, now)
			if d.Amount != tc.amount || len(d.Commissions) != tc.ids || d.Skip != tc.skip {
				t.Fatalf("got %+v", d)
			}
		})
	}
	// A currency the method cannot pay.
	d := Decide(&tandem.PayoutSettings{Currency: "XAF", Methods: []tandem.PayoutMethodKind{tandem.MethodPayPal}},
		Candidate{Currency: "XAF", Method: paypal, AgreementAccepted: true, Commissions: due}, now)
	if d.Skip != "PayPal cannot pay in XAF." {
		t.Fatalf("currency: %+v", d)
	}
}

// TestDecideProperties checks on random candidates that a line never pays
// more than its due commissions, never pays a held or undue one, reaches
// the minimum, and nets every debt.
func TestDecideProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	now := date("2026-05-01 00:00")
	for i := range 5000 {
		st := &tandem.PayoutSettings{NetDays: r.IntN(40), Currency: "EUR", Minimums: map[string]int64{"EUR": int64(r.IntN(10000))},
			Methods: []tandem.PayoutMethodKind{tandem.MethodPayPal}}
		c := Candidate{Currency: "EUR", Method: &tandem.PayoutMethod{Kind: tandem.MethodPayPal}, AgreementAccepted: r.IntN(10) > 0,
			Debt: -int64(r.IntN(3)) * int64(r.IntN(20000))}
		byID := map[string]Commission{}
		for j := range r.IntN(6) {
			k := Commission{ID: string(rune('a' + j)), Net: int64(r.IntN(8000)), ApprovedAt: now.AddDate(0, 0, -r.IntN(60)), Held: r.IntN(8) == 0}
			c.Commissions = append(c.Commissions, k)
			byID[k.ID] = k
		}
		d := Decide(st, c, now)
		var sum int64
		for _, id := range d.Commissions {
			k := byID[id]
			if k.Held || k.ApprovedAt.After(now.AddDate(0, 0, -st.NetDays)) {
				t.Fatalf("case %d: line claims %+v", i, k)
			}
			sum += k.Net
		}
		if d.Skip == "" {
			if d.Amount != sum+c.Debt || d.Amount <= 0 || d.Amount < st.Minimums["EUR"] || !c.AgreementAccepted {
				t.Fatalf("case %d: %+v from %+v", i, d, c)
			}
		} else if len(d.Commissions) != 0 {
			t.Fatalf("case %d: skipped line claims %v", i, d.Commissions)
		}
	}
}

func TestValidateSettings(t *testing.T) {
	for _, tc := range []struct {
		s     tandem.PayoutSettings
		field string
	}{
		{tandem.PayoutSettings{Schedule: tandem.ScheduleMonthly, DayOfMonth: 31}, "day_of_month"},
		{tandem.PayoutSettings{Schedule: "daily"}, "schedule"},
		{tandem.PayoutSettings{NetDays: -1}, "net_days"},
		{tandem.PayoutSettings{Currency: "EUR"}, "currency"},
		{tandem.PayoutSettings{Minimums: map[string]int64{"USD": -1}}, "minimums"},
		{tandem.PayoutSettings{Methods: []tandem.PayoutMethodKind{"cheque"}}, "methods"},
		{tandem.PayoutSettings{TimeZone: "Mars/Olympus"}, "time_zone"},
		{tandem.PayoutSettings{Schedule: tandem.ScheduleWeekly, Weekday: time.Friday}, ""},
	} {
		err := ValidateSettings(&tc.s, "USD")
		if tandem.ErrorField(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%+v: %v", tc.s, err)
		}
	}
}

func TestValidateMethod(t *testing.T) {
	for _, tc := range []struct {
		kind    tandem.PayoutMethodKind
		details map[string]string
		field   string
		display string
	}{
		{tandem.MethodPayPal, map[string]string{"email": " Jane.Doe@Example.com "}, "", "PayPal ja…@example.com"},
		{tandem.MethodPayPal, map[string]string{"email": "jane@"}, "email", ""},
		{tandem.MethodWise, map[string]string{"name": "Jane Doe", "email": "jane@example.com", "iban": "de89 3704 0044 0532 0130 00"}, "", "Bank transfer to DE ••3000 (EUR)"},
		{tandem.MethodWise, map[string]string{"name": "Jane Doe", "email": "jane@example.com", "iban": "GB82WEST12345698765432", "currency": "gbp", "receiver_type": "business"}, "", "Bank transfer to GB ••5432 (GBP)"},
		{tandem.MethodWise, map[string]string{"name": "Jane Doe", "email": "jane@example.com", "iban": "DE89370400440532013001"}, "iban", ""},
		{tandem.MethodWise, map[string]string{"name": "Jane Doe", "email": "jane@example.com", "iban": "DE8937040044053201300"}, "iban", ""},
		{tandem.MethodWise, map[string]string{"email": "jane@example.com", "iban": "DE89370400440532013000"}, "name", ""},
		{tandem.MethodWise, map[string]string{"name": "J", "email": "jane@example.com", "iban": "DE89370400440532013000", "receiver_type": "ROBOT"}, "receiver_type", ""},
		{tandem.MethodStripeConnect, map[string]string{"account_id": "acct_1A2b3C4d5E6f"}, "", "Stripe Connect acct_…5E6f"},
		{tandem.MethodStripeConnect, map[string]string{"account_id": "cus_123456"}, "account_id", ""},
		{tandem.MethodProductCredit, map[string]string{"customer_id": "cus_9"}, "", "Product credit to cus_9"},
		{tandem.MethodProductCredit, map[string]string{}, "customer_id", ""},
	} {
		_, display, err := ValidateMethod(tc.kind, tc.details)
		if tandem.ErrorField(err) != tc.field || display != tc.display {
			t.Errorf("%s %v: %q %v", tc.kind, tc.details, display, err)
		}
	}
	if !strings.Contains(tandem.ErrorMessage(CanPay(tandem.MethodPayPal, "INR")), "PayPal cannot pay in INR") || CanPay(tandem.MethodWise, "INR") != nil {
		t.Fatal("CanPay")
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
		ok       bool
	}{
		{"50", "USD", 5000, true}, {"50.5", "USD", 5050, true}, {"0.01", "USD", 1, true}, {"", "USD", 0, true},
		{"1000", "JPY", 1000, true}, {"1.234", "KWD", 1234, true},
		{"0.001", "USD", 0, false}, {"1.5", "JPY", 0, false}, {"-1", "USD", 0, false}, {"ten", "USD", 0, false}, {"1e20", "USD", 0, false},
	} {
		got, err := ParseAmount(tc.in, tc.currency)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseAmount(%q, %s) = %d, %v", tc.in, tc.currency, got, err)
		}
	}
}
