package payout

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/tandem-prm/tandem"
)

// File limits of the providers' upload pages.
const (
	MaxPayPalRows = 5000
	MaxWiseRows   = 1000
)

// PayPalCSV writes lines as PayPal's Payouts web upload file: no header;
// recipient, amount, currency, customer ID (the line ID, so PayPal's report
// names the line), note, wallet. Every line must be a PayPal line in one
// currency.
func PayPalCSV(lines []*tandem.PayoutLine, note string) ([]byte, error) {
	if err := checkFile(lines, tandem.MethodPayPal, MaxPayPalRows); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, l := range lines {
		amount := tandem.FormatDecimal(l.Amount, l.Currency)
		if err := w.Write([]string{l.Method.Details["email"], amount, l.Currency, l.ID, trim(note, 400), "PAYPAL"}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// wiseHeader is the header of Wise's batch payment template for IBAN
// recipients; Wise refuses a file whose header differs.
const wiseHeader = "name,recipientEmail,paymentReference,referenceNumber,receiverType,amountCurrency,amount,sourceCurrency,targetCurrency,IBAN"

// WiseCSV writes lines as Wise's batch payment file for IBAN recipients:
// the header, then one row per line with every field quoted and CRLF line
// ends, as Wise's own exports have them. The amount is the exact source
// amount; the reference names the line.
func WiseCSV(lines []*tandem.PayoutLine, reference string) ([]byte, error) {
	if err := checkFile(lines, tandem.MethodWise, MaxWiseRows); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(wiseHeader + "\r\n")
	for _, l := range lines {
		d := l.Method.Details
		fields := []string{d["name"], d["email"], trim(reference, 35), l.ID, d["receiver_type"], "source",
			tandem.FormatDecimal(l.Amount, l.Currency), l.Currency, d["currency"], d["iban"]}
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String()), nil
}

// checkFile refuses a file the provider would refuse: another method's
// lines, mixed currencies or too many rows.
func checkFile(lines []*tandem.PayoutLine, k tandem.PayoutMethodKind, max int) error {
	if len(lines) > max {
		return tandem.Invalidf("lines", "%s takes at most %d payments per file; this batch has %d.", k.Name(), max, len(lines))
	}
	for _, l := range lines {
		if l.MethodKind != k {
			return fmt.Errorf("payout: line %s is %s, not %s", l.ID, l.MethodKind, k)
		}
		if l.Currency != lines[0].Currency {
			return tandem.Invalidf("currency", "A %s file holds one currency; this one would mix %s and %s.", k.Name(), lines[0].Currency, l.Currency)
		}
	}
	return nil
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// StatementCSV writes a statement as CSV with a header: date, kind,
// reference, description, amount (a decimal in the currency), currency;
// then the opening and closing balances as rows of their own.
func StatementCSV(st *tandem.Statement) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	row := func(date, kind, ref, desc string, amount int64) {
		_ = w.Write([]string{date, kind, ref, desc, tandem.FormatDecimal(amount, st.Currency), st.Currency})
	}
	_ = w.Write([]string{"date", "kind", "reference", "description", "amount", "currency"})
	first := ""
	if !st.From.IsZero() {
		first = st.From.Format("2006-01-02")
	}
	row(first, "opening_balance", "", "Payable balance at the start", st.Opening)
	for _, r := range st.Rows {
		row(r.Date.Format("2006-01-02"), r.Kind, r.Reference, r.Description, r.Amount)
	}
	last := ""
	if !st.To.IsZero() {
		last = st.To.Add(-1).Format("2006-01-02")
	}
	row(last, "closing_balance", "", "Payable balance at the end", st.Closing)
	w.Flush()
	return buf.Bytes(), w.Error()
}
