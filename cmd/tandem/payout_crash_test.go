package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// fakeStripe answers POST /v1/transfers as Stripe does: a request with an
// Idempotency-Key seen before gets the first answer again, without a new
// transfer. It counts the transfers it made per payout line (the metadata
// Tandem sends), which must never exceed one. Some requests fail with a
// 500 before doing anything, as an outage would, and every answer is a
// little late, so that a kill often lands while a transfer is in flight.
type fakeStripe struct {
	mu        sync.Mutex
	byKey     map[string][]byte
	perLine   map[string]int
	amounts   map[string]int64
	transfers int
	rng       *rand.Rand
}

func newFakeStripe(seed uint64) *fakeStripe {
	return &fakeStripe{byKey: map[string][]byte{}, perLine: map[string]int{}, amounts: map[string]int64{}, rng: rand.New(rand.NewPCG(seed, 7))}
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/v1/transfers" {
		http.Error(w, `{"error":{"type":"invalid_request_error","message":"unknown"}}`, 404)
		return
	}
	_ = r.ParseForm()
	f.mu.Lock()
	fail := f.rng.IntN(100) < 3
	delay := time.Duration(f.rng.IntN(20)) * time.Millisecond
	f.mu.Unlock()
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	if fail {
		w.WriteHeader(500)
		io.WriteString(w, `{"error":{"type":"api_error","message":"temporarily unavailable"}}`)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	defer f.mu.Unlock()
	if body, ok := f.byKey[key]; ok && key != "" {
		w.Write(body)
		return
	}
	f.transfers++
	line := r.PostForm.Get("metadata[payout_id]")
	amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	f.perLine[line]++
	f.amounts[line] += amount
	body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("tr_%d", f.transfers), "object": "transfer", "amount": amount,
		"currency": r.PostForm.Get("currency"), "destination": r.PostForm.Get("destination")})
	f.byKey[key] = body
	w.Write(body)
}

func (f *fakeStripe) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.transfers
}

// crashFixture seeds a program whose partners have approved commissions:
// most are paid through Stripe Connect, every tenth by a PayPal file.
func crashFixture(t *testing.T, db *sqldb.DB, partners int) (programID, apiKey string) {
	t.Helper()
	ctx := context.Background()
	past := time.Now().UTC().AddDate(0, 0, -40)
	db.Now = func() time.Time { return past }
	prog := &tandem.Program{Name: "Crash", Slug: "crash", Type: tandem.ProgramAffiliate, Currency: "USD", DestinationURL: "https://shop.example/"}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		t.Fatal(err)
	}
	rules := []tandem.Rule{{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale}, Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(20), HoldDays: 30}}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, prog.ID, "Standard", rules, time.Time{}); err != nil {
		t.Fatal(err)
	}
	ps, links, pay, conv := sqldb.NewPartnerService(db), sqldb.NewLinkService(db), sqldb.NewPayoutService(db), sqldb.NewConversionService(db)
	for i := range partners {
		p := &tandem.Partner{Name: fmt.Sprintf("Partner %d", i), Email: fmt.Sprintf("p%d@example.com", i)}
		if err := ps.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
		m, err := ps.JoinProgram(ctx, prog.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SetMembershipStatus(ctx, m.ID, tandem.MembershipApproved, ""); err != nil {
			t.Fatal(err)
		}
		link, err := links.CreateLink(ctx, p.ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		click := tandem.NewID(tandem.PrefixClick)
		if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: link.ID, Visitor: p.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := conv.RecordConversion(ctx, tandem.ConversionInput{ProgramID: prog.ID, Kind: tandem.ConversionSale, EventID: fmt.Sprintf("in_%d", i),
			CustomerID: fmt.Sprintf("cus_%d", i), ClickID: click, Amount: int64(5000 + 37*i), Currency: "USD"}, ""); err != nil {
			t.Fatal(err)
		}
		kind, details := tandem.MethodStripeConnect, map[string]string{"account_id": fmt.Sprintf("acct_crash%06d", i)}
		if i%10 == 0 {
			kind, details = tandem.MethodPayPal, map[string]string{"email": p.Email}
		}
		if _, err := pay.SetMethod(ctx, p.ID, kind, details); err != nil {
			t.Fatal(err)
		}
	}
	db.Now = tandem.SystemClock
	if _, err := sqldb.NewCommissionService(db).ApproveDue(ctx, 100000); err != nil {
		t.Fatal(err)
	}
	accounts := sqldb.NewAccountService(db)
	owner, err := accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := accounts.CreateAPIKey(ctx, owner.ID, "crash", tandem.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	return prog.ID, secret
}

// api calls the API of a running server; a dead server answers 0.
func api(url, key, method, path string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url+"/api/v1"+path, r)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// payoutState is what the crash test checks after a run.
type payoutState struct {
	lines      map[tandem.LineStatus]int
	paid       int64 // sum of paid lines
	approved   int64 // sum of the lines finance approved (all but cancelled and held)
	paidLedger int64 // the partners' paid accounts
	doubled    int   // commissions paid but not through a paid line of theirs
}

func readState(t *testing.T, db *sqldb.DB, batchID string) payoutState {
	t.Helper()
	s := payoutState{lines: map[tandem.LineStatus]int{}}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT status, COUNT(*), COALESCE(SUM(amount), 0) FROM payouts WHERE batch_id = $1 GROUP BY status`, batchID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var st tandem.LineStatus
			var n int
			var sum int64
			if err := rows.Scan(&st, &n, &sum); err != nil {
				return err
			}
			s.lines[st] = n
			if st == tandem.LinePaid {
				s.paid = sum
			}
			if st != tandem.LineCancelled && st != tandem.LineHeld && st != tandem.LineProposed {
				s.approved += sum
			}
		}
		rows.Close()
		if err := tx.QueryRow(`SELECT COALESCE(SUM(balance), 0) FROM ledger_balances WHERE account_type = 'paid'`).Scan(&s.paidLedger); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM commissions k LEFT JOIN payouts p ON p.id = k.payout_id
			WHERE k.status = 'paid' AND (p.id IS NULL OR p.status <> 'paid' OR p.partner_id <> k.partner_id)`).Scan(&s.doubled)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPayoutCrashSafety kills the real server (SIGKILL) at random moments
// of a batch's approval and of its sending, over seeded runs with hundreds
// of partners on both databases, restarts it and lets it finish. The
// provider sees at most one transfer per line, the total paid equals the
// total approved, no commission is paid outside its own paid line, the
// ledger balances, and a second pass changes nothing. TANDEM_CRASH_RUNS
// sets the number of runs per database (default 2), TANDEM_CRASH_PARTNERS
// the partners per run (default 200).
func TestPayoutCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server many times")
	}
	runs, partners := envInt("TANDEM_CRASH_RUNS", 2), envInt("TANDEM_CRASH_PARTNERS", 200)
	for _, dialect := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			for run := range runs {
				t.Run(fmt.Sprintf("seed%d", run), func(t *testing.T) { crashRun(t, dialect, uint64(run+1), partners) })
			}
		})
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func crashRun(t *testing.T, dialect sqldb.Dialect, seed uint64, partners int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 99))
	dbURL := sqldbtest.URL(t, dialect)
	db := sqldbtest.OpenExisting(t, dbURL)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	programID, key := crashFixture(t, db, partners)
	stripe := newFakeStripe(seed)
	stripeSrv := httptest.NewServer(stripe)
	defer stripeSrv.Close()
	args := []string{"--database", dbURL, "--stripe-secret-key", "sk_test_crash", "--stripe-api-url", stripeSrv.URL}

	p := startServe(t, args...)
	code, body := api(p.url, key, "POST", "/programs/"+programID+"/payout-batches", nil)
	if code != 201 {
		t.Fatalf("propose = %d %s", code, body)
	}
	var batch tandem.PayoutBatch
	if err := json.Unmarshal(body, &batch); err != nil || len(batch.Lines) != partners {
		t.Fatalf("proposal: %d lines, %v", len(batch.Lines), err)
	}

	// Kill during the approval (its answer may never come), restart and
	// approve again until it is approved; then kill during the sending.
	for attempt := 0; ; attempt++ {
		go api(p.url, key, "POST", "/payout-batches/"+batch.ID+"/approve", nil)
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		kill(t, p)
		p = startServe(t, args...)
		if attempt > 0 || rng.IntN(2) == 0 {
			if code, body := api(p.url, key, "POST", "/payout-batches/"+batch.ID+"/approve", nil); code != 200 && code != 409 {
				t.Fatalf("approve after restart = %d %s", code, body)
			}
		}
		var b tandem.PayoutBatch
		_, body := api(p.url, key, "GET", "/payout-batches/"+batch.ID, nil)
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		if b.Status != tandem.BatchProposed {
			break
		}
	}
	for range 2 {
		time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		kill(t, p)
		t.Logf("killed while sending: lines %v, %d transfers made", readState(t, db, batch.ID).lines, stripe.count())
		p = startServe(t, args...)
	}

	// Let it finish: every Stripe line settles, every PayPal line waits
	// exported; finance marks those paid.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		s := readState(t, db, batch.ID)
		if s.lines[tandem.LineApproved] == 0 && s.lines[tandem.LineSending] == partners/10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sending never finished: %v", s.lines)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, body := api(p.url, key, "POST", "/payout-batches/"+batch.ID+"/mark-paid", map[string]any{"reference": "PAYPAL-1"}); code != 200 {
		t.Fatalf("mark paid = %d %s", code, body)
	}

	s := readState(t, db, batch.ID)
	if s.lines[tandem.LinePaid] != partners || s.paid != s.approved || s.paid != s.paidLedger || s.doubled != 0 {
		t.Fatalf("after the run: %+v", s)
	}
	stripe.mu.Lock()
	for line, n := range stripe.perLine {
		if n != 1 {
			t.Errorf("line %s got %d transfers", line, n)
		}
	}
	var stripeTotal int64
	for _, a := range stripe.amounts {
		stripeTotal += a
	}
	transfers := stripe.transfers
	stripe.mu.Unlock()
	var stripePaid int64
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM payouts WHERE batch_id = $1 AND status = 'paid' AND method_kind = 'stripe_connect'`,
			batch.ID).Scan(&stripePaid)
	}); err != nil {
		t.Fatal(err)
	}
	if transfers != partners-partners/10 || stripeTotal != stripePaid {
		t.Fatalf("Stripe made %d transfers of %d; the paid Stripe lines are %d", transfers, stripeTotal, stripePaid)
	}
	if err := sqldb.NewLedgerService(db).VerifyLedger(ctx); err != nil {
		t.Fatal(err)
	}

	// A second pass changes nothing: a restart resends nothing, a second
	// approval and a second marking are refused.
	kill(t, p)
	p = startServe(t, args...)
	if code, _ := api(p.url, key, "POST", "/payout-batches/"+batch.ID+"/approve", nil); code != 409 {
		t.Errorf("second approval = %d", code)
	}
	if code, _ := api(p.url, key, "POST", "/payout-batches/"+batch.ID+"/mark-paid", map[string]any{"reference": "again"}); code != 400 {
		t.Errorf("second marking = %d", code)
	}
	time.Sleep(2 * time.Second)
	if again := readState(t, db, batch.ID); fmt.Sprint(again) != fmt.Sprint(s) {
		t.Errorf("the second pass changed the state: %+v, was %+v", again, s)
	}
	stripe.mu.Lock()
	if stripe.transfers != transfers {
		t.Errorf("the second pass made %d more transfers", stripe.transfers-transfers)
	}
	stripe.mu.Unlock()
	kill(t, p)
}

// kill ends the server with SIGKILL, as a crash would.
func kill(t *testing.T, p *process) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}
