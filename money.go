package tandem

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// MaxAmount bounds every amount Tandem accepts, in minor units: one hundred
// billion units of any currency. Anything larger is a mistake (a price sent in
// micro-units, a doubled field), and the bound keeps every sum of amounts far
// from int64 overflow.
const MaxAmount = 100_000_000_000_00

// CurrencyDigits returns how many minor-unit digits the ISO 4217 currency has
// (2 for USD, 0 for JPY, 3 for KWD). Unknown codes get 2.
func CurrencyDigits(code string) int {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	digits, _ := currency.Standard.Rounding(unit)
	return digits
}

// FormatAmount writes an amount in minor units as a decimal number followed
// by its currency: FormatAmount(14900, "USD") is "149.00 USD", and
// FormatAmount(-5, "EUR") is "-0.05 EUR". It never goes through a float.
func FormatAmount(amount int64, code string) string {
	return FormatDecimal(amount, code) + " " + code
}

// FormatDecimal is FormatAmount without the currency code.
func FormatDecimal(amount int64, code string) string {
	digits := CurrencyDigits(code)
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-amount)
	}
	s := strconv.FormatUint(u, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}
