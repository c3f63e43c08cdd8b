package payout

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
)

// methodCurrencies are the currencies each method can pay from (nil: any).
// PayPal's are those its Payouts accept; Wise's the source currencies of a
// batch transfer.
var methodCurrencies = map[tandem.PayoutMethodKind][]string{
	tandem.MethodPayPal: {"AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "ILS", "JPY", "MXN",
		"MYR", "NOK", "NZD", "PHP", "PLN", "SEK", "SGD", "THB", "TWD", "USD"},
	tandem.MethodWise: {"AUD", "BGN", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR",
		"JPY", "MYR", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "TRY", "USD"},
	tandem.MethodStripeConnect: nil,
	tandem.MethodProductCredit: nil,
}

// CanPay returns an error naming the problem when the method cannot pay in
// the currency.
func CanPay(k tandem.PayoutMethodKind, currency string) error {
	list, ok := methodCurrencies[k]
	if !ok {
		return tandem.Invalidf("kind", "Unknown payout method %q.", k)
	}
	if list != nil && !slices.Contains(list, currency) {
		return tandem.Invalidf("currency", "%s cannot pay in %s.", k.Name(), currency)
	}
	return nil
}

var (
	stripeAccount = regexp.MustCompile(`^acct_[A-Za-z0-9]{6,64}$`)
	ibanShape     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
)

// ibanLengths are the IBAN lengths of the countries Wise pays most; other
// countries are checked by shape and checksum only.
var ibanLengths = map[string]int{"AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
	"GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24}

// ValidateIBAN checks an IBAN's country length and its ISO 13616 mod-97
// checksum, and returns it in the compact upper-case form.
func ValidateIBAN(s string) (string, error) {
	iban := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	bad := tandem.Invalidf("iban", "This is not a valid IBAN: check it against your bank statement.")
	if !ibanShape.MatchString(iban) {
		return "", bad
	}
	if n, ok := ibanLengths[iban[:2]]; ok && len(iban) != n {
		return "", tandem.Invalidf("iban", "A %s IBAN has %d characters; this one has %d.", iban[:2], n, len(iban))
	}
	var digits strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		} else {
			digits.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return "", tandem.Invalidf("iban", "The IBAN's check digits do not match: a character is probably mistyped.")
	}
	return iban, nil
}

// ValidateMethod checks a payout method's details, keeps only its known
// fields (normalised) and returns them with a display text that hides most
// of the account.
func ValidateMethod(k tandem.PayoutMethodKind, in map[string]string) (map[string]string, string, error) {
	get := func(key string) string { return strings.TrimSpace(in[key]) }
	required := func(key, what string) (string, error) {
		v := get(key)
		if v == "" {
			return "", tandem.Invalidf(key, "Enter the %s.", what)
		}
		if len(v) > 200 {
			return "", tandem.Invalidf(key, "The %s is too long.", what)
		}
		return v, nil
	}
	email := func() (string, error) {
		v, err := tandem.NormalizeEmail(get("email"))
		if err != nil {
			return "", tandem.Invalidf("email", "Enter a valid email address, such as jane@example.com.")
		}
		return v, nil
	}
	switch k {
	case tandem.MethodPayPal:
		e, err := email()
		if err != nil {
			return nil, "", err
		}
		return map[string]string{"email": e}, "PayPal " + maskEmail(e), nil
	case tandem.MethodWise:
		name, err := required("name", "account holder's name")
		if err != nil {
			return nil, "", err
		}
		e, err := email()
		if err != nil {
			return nil, "", err
		}
		typ := strings.ToUpper(get("receiver_type"))
		if typ == "" {
			typ = "PERSON"
		}
		if typ != "PERSON" && typ != "BUSINESS" {
			return nil, "", tandem.Invalidf("receiver_type", "The account holder is a PERSON or a BUSINESS.")
		}
		cur := strings.ToUpper(get("currency"))
		if cur == "" {
			cur = "EUR"
		}
		if len(cur) != 3 {
			return nil, "", tandem.Invalidf("currency", "The account's currency is a three-letter code such as EUR.")
		}
		iban, err := ValidateIBAN(get("iban"))
		if err != nil {
			return nil, "", err
		}
		return map[string]string{"name": name, "email": e, "receiver_type": typ, "currency": cur, "iban": iban},
			fmt.Sprintf("Bank transfer to %s ••%s (%s)", iban[:2], iban[len(iban)-4:], cur), nil
	case tandem.MethodStripeConnect:
		acct := get("account_id")
		if !stripeAccount.MatchString(acct) {
			return nil, "", tandem.Invalidf("account_id", "A Stripe account ID looks like acct_1A2b3C4d5E6f.")
		}
		return map[string]string{"account_id": acct}, "Stripe Connect " + acct[:5] + "…" + acct[len(acct)-4:], nil
	case tandem.MethodProductCredit:
		id, err := required("customer_id", "customer ID in the product")
		if err != nil {
			return nil, "", err
		}
		return map[string]string{"customer_id": id}, "Product credit to " + id, nil
	}
	return nil, "", tandem.Invalidf("kind", "The payout method must be paypal, wise, stripe_connect or product_credit.")
}

func maskEmail(e string) string {
	local, domain, _ := strings.Cut(e, "@")
	if len(local) > 2 {
		local = local[:2] + "…"
	}
	return local + "@" + domain
}

// ParseAmount reads a decimal amount such as "50" or "50.00" in the
// currency's minor units, exactly: more decimals than the currency has, a
// negative or a too large amount is refused.
func ParseAmount(s, currency string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := decimal.NewFromString(s)
	digits := int32(tandem.CurrencyDigits(currency))
	if err != nil || d.IsNegative() || d.Exponent() < -digits {
		return 0, tandem.Invalidf("amount", "Enter an amount such as 50.00 %s.", currency)
	}
	minor := d.Shift(digits)
	if minor.GreaterThan(decimal.NewFromInt(tandem.MaxAmount)) {
		return 0, tandem.Invalidf("amount", "The amount is too large.")
	}
	return minor.IntPart(), nil
}
