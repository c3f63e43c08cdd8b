package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// conversionFixture is a program with a 10 % plan, an approved partner and
// one of their clicks.
func conversionFixture(t *testing.T, a *app, db *sqldb.DB) (prog *tandem.Program, partnerID, clickID string) {
	t.Helper()
	ctx := context.Background()
	prog = a.partnerIn("acme", "jane@example.com")
	linkProgram(t, a, prog)
	partnerID = viewerPartnerID(t, a, "jane@example.com")
	link, err := sqldb.NewLinkService(db).EnsureDefaultLink(ctx, partnerID, prog.ID)
	if err != nil {
		t.Fatal(err)
	}
	rules := []tandem.Rule{{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale},
		Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(10), HoldDays: 30}}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, prog.ID, "Standard", rules, time.Time{}); err != nil {
		t.Fatal(err)
	}
	clickID = tandem.NewID(tandem.PrefixClick)
	if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: clickID, LinkID: link.ID, Visitor: "v"}}); err != nil {
		t.Fatal(err)
	}
	return prog, partnerID, clickID
}

// postEvent posts one conversion with an optional Idempotency-Key.
func postEvent(client *http.Client, a *app, secret, key string, body any) (int, string, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", a.srv.URL+"/api/v1/conversions", bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, string(out), err
}

// TestConversionIdempotencyStorm posts 1,000 conversions at once: 880 new
// events, 100 repeats of events (some still in flight) and 20 reuses of an
// Idempotency-Key with another body. Exactly 900 conversions and 900
// commissions exist afterwards, every repeat is answered with the first
// answer, and every reused key is refused without a write.
func TestConversionIdempotencyStorm(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, _, write := apiKeys(t, a)
		prog, partnerID, clickID := conversionFixture(t, a, db)
		event := func(i int) map[string]any {
			return map[string]any{"program_id": prog.ID, "type": "sale", "event_id": fmt.Sprintf("in_%04d", i),
				"customer": map[string]any{"id": fmt.Sprintf("cust_%04d", i)}, "click_id": clickID,
				"amount": 1000 + i, "currency": prog.Currency}
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000}}
		// The 20 events sent with a key go first, so that their keys are taken.
		first := map[int]string{}
		for i := range 20 {
			status, body, err := postEvent(client, a, write, fmt.Sprintf("key-%d", i), event(i))
			if err != nil || status != http.StatusCreated {
				t.Fatalf("keyed event %d: %d %v %s", i, status, err, body)
			}
			first[i] = body
		}
		type call struct {
			key  string
			body map[string]any
			kind string // new, repeat, mismatch
			of   int
		}
		var calls []call
		for i := 20; i < 900; i++ {
			calls = append(calls, call{body: event(i), kind: "new", of: i})
		}
		for j := range 100 {
			i := (j * 9) % 900 // repeats of keyed events and of events still in flight
			calls = append(calls, call{body: event(i), kind: "repeat", of: i})
		}
		for i := range 20 {
			calls = append(calls, call{key: fmt.Sprintf("key-%d", i), body: event(2000 + i), kind: "mismatch", of: i})
		}
		type answer struct {
			status int
			body   string
			err    error
		}
		answers := make([]answer, len(calls))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for n, c := range calls {
			wg.Go(func() {
				<-start
				status, body, err := postEvent(client, a, write, c.key, c.body)
				answers[n] = answer{status, body, err}
			})
		}
		close(start)
		wg.Wait()

		bodies := map[int][]string{} // every 201 answer per event
		for i, b := range first {
			bodies[i] = append(bodies[i], b)
		}
		for n, c := range calls {
			ans := answers[n]
			if ans.err != nil {
				t.Fatalf("call %d: %v", n, ans.err)
			}
			switch c.kind {
			case "mismatch":
				var p tandemhttp.Problem
				if ans.status != http.StatusConflict || json.Unmarshal([]byte(ans.body), &p) != nil || p.Field != "Idempotency-Key" {
					t.Errorf("reused key %s: %d %s", c.key, ans.status, ans.body)
				}
			default:
				if ans.status != http.StatusCreated {
					t.Fatalf("%s event %d: %d %s", c.kind, c.of, ans.status, ans.body)
				}
				bodies[c.of] = append(bodies[c.of], ans.body)
			}
		}
		for i, bs := range bodies {
			for _, b := range bs[1:] {
				if b != bs[0] {
					t.Errorf("event %d answered differently:\n%s\n%s", i, bs[0], b)
				}
			}
		}
		var conversions, commissions, pending int64
		err := db.InTx(context.Background(), func(tx *sql.Tx) error {
			if err := tx.QueryRow(`SELECT COUNT(*) FROM conversions`).Scan(&conversions); err != nil {
				return err
			}
			return tx.QueryRow(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM commissions`).Scan(&commissions, &pending)
		})
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		for i := range 900 {
			want += int64(1000+i) / 10 // 10 %, exact: (1000+i)/10 rounds half up below
			if (1000+i)%10 >= 5 {
				want++
			}
		}
		if conversions != 900 || commissions != 900 || pending != want {
			t.Fatalf("%d conversions, %d commissions worth %d; want 900, 900, %d", conversions, commissions, pending, want)
		}
		bs, err := sqldb.NewLedgerService(db).Balances(context.Background(), partnerID)
		if err != nil || len(bs) != 1 || bs[0].Type != tandem.AccountPending || bs[0].Amount != want {
			t.Fatalf("balances %+v %v", bs, err)
		}
		if err := sqldb.NewLedgerService(db).VerifyLedger(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
