package payout

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tandem-prm/tandem"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs:\n got: %q\nwant: %q", name, got, want)
	}
}

func line(id string, kind tandem.PayoutMethodKind, amount int64, currency string, details map[string]string) *tandem.PayoutLine {
	return &tandem.PayoutLine{ID: id, MethodKind: kind, Amount: amount, Currency: currency, Method: tandem.PayoutMethod{Kind: kind, Details: details}}
}

func TestPayPalCSV(t *testing.T) {
	lines := []*tandem.PayoutLine{
		line("pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", tandem.MethodPayPal, 10050, "USD", map[string]string{"email": "mbrown@email.com"}),
		line("pay_bbbbbbbbbbbbbbbbbbbbbbbbbb", tandem.MethodPayPal, 5, "USD", map[string]string{"email": "jane@example.com"}),
	}
	got, err := PayPalCSV(lines, "Your commissions from Acme, thank you!")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "paypal.csv", got)

	mixed := append(lines, line("pay_c", tandem.MethodPayPal, 1, "EUR", map[string]string{"email": "x@example.com"}))
	if _, err := PayPalCSV(mixed, ""); tandem.ErrorField(err) != "currency" {
		t.Fatalf("mixed currencies: %v", err)
	}
	if _, err := PayPalCSV(make([]*tandem.PayoutLine, MaxPayPalRows+1), ""); tandem.ErrorField(err) != "lines" {
		t.Fatalf("too many rows: %v", err)
	}
}

func TestWiseCSV(t *testing.T) {
	lines := []*tandem.PayoutLine{
		line("pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", tandem.MethodWise, 12540, "EUR", map[string]string{"name": "Jane Doe", "email": "jane@example.com",
			"receiver_type": "PERSON", "currency": "EUR", "iban": "DE89370400440532013000"}),
		line("pay_bbbbbbbbbbbbbbbbbbbbbbbbbb", tandem.MethodWise, 99900, "EUR", map[string]string{"name": `Widgets "Ltd"`, "email": "ap@widgets.example",
			"receiver_type": "BUSINESS", "currency": "GBP", "iban": "GB82WEST12345698765432"}),
	}
	got, err := WiseCSV(lines, "Commission 2026-10")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "wise.csv", got)
	if _, err := WiseCSV([]*tandem.PayoutLine{line("pay_x", tandem.MethodPayPal, 1, "EUR", nil)}, ""); err == nil {
		t.Fatal("a PayPal line in a Wise file")
	}
}

func TestStatementCSV(t *testing.T) {
	st := &tandem.Statement{Currency: "EUR", From: date("2026-03-01 00:00"), To: date("2026-04-01 00:00"), Opening: -500, Closing: 500,
		Rows: []tandem.StatementRow{
			{Date: date("2026-03-02 10:00"), Kind: "commission", Reference: "com_1", Description: "20% of 100.00 EUR, Pro plan", Amount: 2000},
			{Date: date("2026-03-09 10:00"), Kind: "clawback", Reference: "com_0", Description: "5.00 EUR taken back: refund re_1", Amount: -500},
			{Date: date("2026-03-15 00:00"), Kind: "payout", Reference: "pay_1", Description: "Payout pay_1 (paypal)", Amount: -500},
		}}
	got, err := StatementCSV(st)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "statement.csv", got)
}
