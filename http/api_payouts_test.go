package http_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// payableFixture is conversionFixture with one approved 10.00 USD
// commission (a 100.00 sale at 10 %) and a PayPal payout method.
func payableFixture(t *testing.T, a *app, db *sqldb.DB) (prog *tandem.Program, partnerID string) {
	t.Helper()
	ctx := context.Background()
	// The sale happened 40 days ago; the approval runs on the real clock,
	// which sessions also use.
	past := time.Now().UTC().AddDate(0, 0, -40)
	db.Now = func() time.Time { return past }
	prog, partnerID, clickID := conversionFixture(t, a, db)
	if _, err := sqldb.NewConversionService(db).RecordConversion(ctx, tandem.ConversionInput{ProgramID: prog.ID, Kind: tandem.ConversionSale,
		EventID: "in_1", CustomerID: "cus_1", ClickID: clickID, Amount: 10000, Currency: prog.Currency}, ""); err != nil {
		t.Fatal(err)
	}
	db.Now = tandem.SystemClock
	if n, err := sqldb.NewCommissionService(db).ApproveDue(ctx, 10); err != nil || n != 1 {
		t.Fatalf("approve: %d %v", n, err)
	}
	if _, err := sqldb.NewPayoutService(db).SetMethod(ctx, partnerID, tandem.MethodPayPal, map[string]string{"email": "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	return prog, partnerID
}

func TestPayoutsAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, write := apiKeys(t, a)
		prog, partnerID := payableFixture(t, a, db)

		wantProblem(t, "bad schedule", apiCall(t, a, "PUT", "/programs/"+prog.ID+"/payout-settings", write,
			map[string]any{"schedule": "monthly", "day_of_month": 30}), 400, "day_of_month")
		wantProblem(t, "read key", apiCall(t, a, "POST", "/programs/"+prog.ID+"/payout-batches", read, nil), 403, "")

		b := decodeAs[tandem.PayoutBatch](t, apiCall(t, a, "POST", "/programs/"+prog.ID+"/payout-batches", write, nil), 201)
		if len(b.Lines) != 1 || b.Lines[0].PartnerID != partnerID || b.Lines[0].Amount != 1000 || b.Total != 1000 {
			t.Fatalf("proposal: %+v", b)
		}
		wantProblem(t, "export before approval", apiCall(t, a, "GET", "/payout-batches/"+b.ID+"/export/paypal", read, nil), 400, "method")

		b = decodeAs[tandem.PayoutBatch](t, apiCall(t, a, "POST", "/payout-batches/"+b.ID+"/approve", write, nil), 200)
		if b.Status != tandem.BatchApproved {
			t.Fatalf("approved: %+v", b)
		}
		wantProblem(t, "approved twice", apiCall(t, a, "POST", "/payout-batches/"+b.ID+"/approve", write, nil), 409, "")

		// The send job would export the line; do what it does.
		pay := sqldb.NewPayoutService(db)
		if _, err := pay.StartSending(context.Background(), b.Lines[0].ID); err != nil {
			t.Fatal(err)
		}
		csv := apiCall(t, a, "GET", "/payout-batches/"+b.ID+"/export/paypal", read, nil)
		if csv.status != 200 || csv.body != "jane@example.com,10.00,USD,"+b.Lines[0].ID+",\"Partner commissions, batch "+b.ID+"\",PAYPAL\n" {
			t.Fatalf("export: %d %q", csv.status, csv.body)
		}
		if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export type %q", csv.header.Get("Content-Type"))
		}
		wantProblem(t, "no reference", apiCall(t, a, "POST", "/payout-batches/"+b.ID+"/mark-paid", write, map[string]any{}), 400, "reference")
		changed := decodeAs[struct{ Changed int }](t, apiCall(t, a, "POST", "/payout-batches/"+b.ID+"/mark-paid", write,
			map[string]any{"reference": "PP-123"}), 200)
		if changed.Changed != 1 {
			t.Fatalf("mark paid: %+v", changed)
		}
		wantProblem(t, "paid twice", apiCall(t, a, "POST", "/payout-batches/"+b.ID+"/mark-paid", write,
			map[string]any{"reference": "PP-123", "line_ids": []string{b.Lines[0].ID}}), 409, "")

		lines := decodeAs[struct{ Data []tandem.PayoutLine }](t, apiCall(t, a, "GET", "/payouts?partner_id="+partnerID+"&status=paid", read, nil), 200)
		if len(lines.Data) != 1 || lines.Data[0].ExternalRef != "PP-123" {
			t.Fatalf("lines: %+v", lines)
		}
		bal := decodeAs[struct{ Data []tandem.PartnerBalance }](t, apiCall(t, a, "GET", "/payout-balances?partner_id="+partnerID, read, nil), 200)
		if len(bal.Data) != 1 || bal.Data[0].Payable != 0 || bal.Data[0].NotPayable == "" {
			t.Fatalf("balances: %+v", bal)
		}
		hist := decodeAs[struct{ Data []tandem.PayoutBatch }](t, apiCall(t, a, "GET", "/payout-batches?program_id="+prog.ID, read, nil), 200)
		if len(hist.Data) != 1 || hist.Data[0].Status != tandem.BatchPaid || hist.Data[0].Total != 1000 {
			t.Fatalf("history: %+v", hist)
		}
	})
}

// TestPayoutRequestStormAPI: 200 simultaneous payout requests for a balance
// that covers one payout; exactly one is created, the others are refused
// with a 4xx problem.
func TestPayoutRequestStormAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, _, write := apiKeys(t, a)
		prog, partnerID := payableFixture(t, a, db)
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := apiCall(t, a, "POST", "/programs/"+prog.ID+"/payout-requests", write, map[string]any{"partner_id": partnerID})
				mu.Lock()
				codes[res.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[201] != 1 || codes[201]+codes[400]+codes[409] != 200 {
			t.Fatalf("answers: %v", codes)
		}
	})
}
