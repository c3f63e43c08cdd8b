// Command conversions measures how many conversions per second the real
// tandem binary records over HTTP, each with attribution (a click), a
// commission and its ledger posting: one event per request, and 1,000 per
// bulk request, on SQLite and on PostgreSQL. It builds tandem, seeds a fresh
// database per run, starts `tandem serve`, drives it for a fixed time, checks
// that the database holds exactly as many conversions as were acknowledged,
// prints the server's CPU time per conversion (on a shared machine, what
// the rate would be if it had the cores to itself), and prints last
//
//	conversions_per_s sqlite=… postgres=… bulk_sqlite=… bulk_postgres=…
//
// Usage: go run ./bench/conversions [-d 10s] [-c 64] [-postgres URL] [-only bulk_sqlite,…] [-profile DIR]
//
// -only runs some of the four cases (sqlite, postgres, bulk_sqlite,
// bulk_postgres); -profile saves the server's CPU profile of each run's
// posting to DIR/CASE.pprof (go tool pprof reads it).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
)

func main() {
	duration := flag.Duration("d", 10*time.Second, "how long each run posts")
	workers := flag.Int("c", 64, "concurrent clients for single events")
	bulkWorkers := flag.Int("bulk-c", 4, "concurrent clients for bulk requests")
	pgURL := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server to use (a fresh schema is made)")
	only := flag.String("only", "", "comma-separated cases to run (sqlite, postgres, bulk_sqlite, bulk_postgres); all if empty")
	profiles := flag.String("profile", "", "directory to save each run's server CPU profile in")
	flag.Parse()
	o := options{d: *duration, workers: *workers, bulkWorkers: *bulkWorkers, profiles: *profiles}
	if err := run(o, *pgURL, *only); err != nil {
		fmt.Fprintln(os.Stderr, "conversions:", err)
		os.Exit(1)
	}
}

// options are how each case runs.
type options struct {
	d                    time.Duration
	workers, bulkWorkers int
	profiles             string // a directory, or "" for no profiles
}

func run(o options, pgURL, only string) error {
	dir, err := os.MkdirTemp("", "tandem-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "tandem")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tandem")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build tandem: %w", err)
	}
	results := map[string]float64{}
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, bulk := range []bool{false, true} {
			key := dialect
			if bulk {
				key = "bulk_" + dialect
			}
			if only != "" && !slices.Contains(strings.Split(only, ","), key) {
				continue
			}
			var dbURL string
			if dialect == "sqlite" {
				dbURL = "sqlite:" + filepath.Join(dir, fmt.Sprintf("bench-%v.db", bulk))
			} else {
				schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
				if dbURL, err = freshSchema(pgURL, schema); err != nil {
					return err
				}
				defer dropSchema(pgURL, schema)
			}
			rate, err := measure(bin, dir, dbURL, key, o, bulk)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			results[key] = rate
		}
	}
	fmt.Printf("conversions_per_s sqlite=%.0f postgres=%.0f bulk_sqlite=%.0f bulk_postgres=%.0f\n",
		results["sqlite"], results["postgres"], results["bulk_sqlite"], results["bulk_postgres"])
	return nil
}

// fixture is what the seeding made: the program, the click every sale
// names, and a write API key.
type fixture struct {
	programID, clickID, secret string
}

func seed(dbURL string) (*fixture, error) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dbURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	accounts := sqldb.NewAccountService(db)
	owner, err := accounts.CreateOwner(ctx, "owner@bench.example", "Bench", "bench owner password")
	if err != nil {
		return nil, err
	}
	_, secret, err := accounts.CreateAPIKey(ctx, owner.ID, "bench", tandem.ScopeWrite)
	if err != nil {
		return nil, err
	}
	prog := &tandem.Program{Name: "Bench", Slug: "bench", Type: tandem.ProgramReferral, Currency: "USD", TimeZone: "UTC",
		DestinationURL: "https://shop.bench.example/", AutoApprove: true}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		return nil, err
	}
	partners := sqldb.NewPartnerService(db)
	p := &tandem.Partner{Name: "Bench partner", Email: "partner@bench.example"}
	if err := partners.CreatePartner(ctx, p); err != nil {
		return nil, err
	}
	m, err := partners.JoinProgram(ctx, prog.ID, p.ID)
	if err != nil {
		return nil, err
	}
	if m.Status != tandem.MembershipApproved {
		if _, err := partners.SetMembershipStatus(ctx, m.ID, tandem.MembershipApproved, "bench"); err != nil {
			return nil, err
		}
	}
	rules := []tandem.Rule{{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale},
		Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(20), HoldDays: 30}}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, prog.ID, "Standard", rules, time.Time{}); err != nil {
		return nil, err
	}
	link, err := sqldb.NewLinkService(db).EnsureDefaultLink(ctx, p.ID, prog.ID)
	if err != nil {
		return nil, err
	}
	click := tandem.NewID(tandem.PrefixClick)
	if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: link.ID, Visitor: "bench"}}); err != nil {
		return nil, err
	}
	return &fixture{programID: prog.ID, clickID: click, secret: secret}, nil
}

// measure seeds dbURL, serves it and posts sales for d; it returns the
// acknowledged conversions per second after checking them against the
// database.
func measure(bin, dir, dbURL, name string, o options, bulk bool) (float64, error) {
	f, err := seed(dbURL)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	addr, err := freePort()
	if err != nil {
		return 0, err
	}
	args := []string{"serve", "--listen", addr, "--database", dbURL, "--data-dir", dir, "--log-level", "error"}
	var pprofAddr string
	if o.profiles != "" {
		if pprofAddr, err = freePort(); err != nil {
			return 0, err
		}
		args = append(args, "--pprof", pprofAddr)
	}
	serve := exec.Command(bin, args...)
	serve.Stdout, serve.Stderr = io.Discard, os.Stderr
	if err := serve.Start(); err != nil {
		return 0, err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = serve.Process.Signal(os.Interrupt)
			_ = serve.Wait()
		}
	}
	defer stop()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return 0, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: time.Minute}
	var acked, next atomic.Int64
	var failure atomic.Value
	n := o.workers
	if bulk {
		n = o.bulkWorkers
	}
	end := time.Now().Add(o.d)
	start := time.Now()
	var wg sync.WaitGroup
	if pprofAddr != "" {
		wg.Go(func() {
			if err := saveProfile(pprofAddr, o.d, filepath.Join(o.profiles, name+".pprof")); err != nil {
				failure.Store(err)
			}
		})
	}
	for range n {
		wg.Go(func() {
			for time.Now().Before(end) {
				got, err := post(client, base, f, &next, bulk)
				if err != nil {
					failure.Store(err)
					return
				}
				acked.Add(got)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failure.Load().(error); err != nil {
		return 0, err
	}
	// The server's own CPU time per conversion (seeding excluded, start and
	// shutdown included): what the figure would be on an idle machine.
	stop()
	cpu := serve.ProcessState.UserTime() + serve.ProcessState.SystemTime()
	rows, err := countConversions(dbURL)
	if err != nil {
		return 0, err
	}
	if rows != acked.Load() {
		return 0, fmt.Errorf("%d conversions acknowledged but %d in the database", acked.Load(), rows)
	}
	rate := float64(acked.Load()) / elapsed.Seconds()
	kind := "single"
	if bulk {
		kind = "bulk (1,000 per request)"
	}
	fmt.Printf("%-9s %-24s %8d conversions in %5.1fs = %7.0f/s  (rows in database: %d; server CPU %.0f µs per conversion)\n",
		strings.SplitN(dbURL, ":", 2)[0], kind, acked.Load(), elapsed.Seconds(), rate, rows,
		float64(cpu.Microseconds())/float64(max(acked.Load(), 1)))
	return rate, nil
}

// post sends one request (one event, or 1,000) and returns how many
// conversions it created.
func post(client *http.Client, base string, f *fixture, next *atomic.Int64, bulk bool) (int64, error) {
	event := func() map[string]any {
		i := next.Add(1)
		return map[string]any{"program_id": f.programID, "type": "sale", "event_id": fmt.Sprintf("in_%d", i),
			"customer": map[string]any{"id": fmt.Sprintf("cus_%d", i)}, "click_id": f.clickID, "amount": 14900, "currency": "USD"}
	}
	path, body := "/api/v1/conversions", any(event())
	if bulk {
		events := make([]map[string]any, 1000)
		for i := range events {
			events[i] = event()
		}
		path, body = "/api/v1/conversions/bulk", map[string]any{"events": events}
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+f.secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if !bulk {
		if res.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, out)
		}
		return 1, nil
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, out)
	}
	// Each result has one "status"; counting beats decoding 1,000
	// conversions, which would take the server's CPU on this machine.
	if created := bytes.Count(out, []byte(`"status":"created"`)); created != 1000 {
		return 0, fmt.Errorf("bulk: %d events of 1,000 created: %s", created, out[:min(len(out), 500)])
	}
	return 1000, nil
}

// saveProfile saves the server's CPU profile of the next d to path.
func saveProfile(addr string, d time.Duration, path string) error {
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds()))))
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", res.Status)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

func countConversions(dbURL string) (int64, error) {
	db, err := sqldb.Open(context.Background(), dbURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM conversions`).Scan(&n)
	})
	return n, err
}

func freshSchema(pgURL, schema string) (string, error) {
	if err := pgExec(pgURL, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func dropSchema(pgURL, schema string) { _ = pgExec(pgURL, "DROP SCHEMA "+schema+" CASCADE") }

func pgExec(pgURL, stmt string) error {
	db, err := sqldb.Open(context.Background(), pgURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.InTx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(stmt); return err })
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(base string) error {
	for range 300 {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("tandem did not become ready at %s", base)
}
