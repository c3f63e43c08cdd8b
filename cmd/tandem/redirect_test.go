package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// Killed with SIGKILL in the middle of a flood of clicks, the server has
// stored every click whose 302 a visitor received: a redirect is sent only
// after its click is committed.
func TestRedirectClicksSurviveKill(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			p, f, dbURL := floodedServe(t, d)
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				t.Fatal("tandem did not die")
			}
			f.stop()
			if len(f.other) > 0 {
				t.Errorf("answers other than 302 before the kill: %v", f.other)
			}
			rows := f.checkStored(t, dbURL)
			t.Logf("%d 302s received before the kill, %d click rows", len(f.ids), rows)
		})
	}
}

// On SIGTERM the server finishes the redirects in flight (each a 302 whose
// click is stored), refuses new connections, and exits 0: no visitor gets
// an error page because of the shutdown.
func TestRedirectDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			p, f, dbURL := floodedServe(t, d)
			f.markSignal()
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-p.done:
				if err != nil {
					t.Errorf("tandem serve exited with %v; want status 0", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("tandem serve did not stop within 30s of SIGTERM")
			}
			f.stop()
			if len(f.other) > 0 {
				t.Errorf("answers other than 302 during the shutdown: %v", f.other)
			}
			if f.inFlight == 0 {
				t.Error("no redirect was in flight at the signal; the test proved nothing")
			}
			rows := f.checkStored(t, dbURL)
			t.Logf("%d 302s (%d in flight at the signal), %d click rows", len(f.ids), f.inFlight, rows)
		})
	}
}

// floodedServe starts `tandem serve` with the demo on a fresh database of
// the dialect and a flood of visitors on one of its links, and returns once
// 300 redirects have been received.
func floodedServe(t *testing.T, d sqldb.Dialect) (*process, *flood, string) {
	t.Helper()
	dbURL := sqldbtest.URL(t, d)
	// One test client floods from one address: lift the flood limit.
	p := startServe(t, "--database", dbURL, "--demo", "--click-flood-rate", "1e9", "--click-flood-burst", "1000000000")
	f := startFlood(t, p.url+"/r/"+liveLinkCode(t, dbURL), 16)
	f.waitFor(t, 300)
	return p, f, dbURL
}

// flood is a crowd of visitors following a short link over and over,
// without following the redirects, until stop.
type flood struct {
	mu       sync.Mutex
	ids      []string    // the click IDs of the 302s received
	other    map[int]int // answers other than 302, by status
	signal   time.Time   // when markSignal was called
	inFlight int         // 302s to requests sent before the signal
	quit     chan struct{}
	wg       sync.WaitGroup
}

func startFlood(t *testing.T, link string, workers int) *flood {
	t.Helper()
	f := &flood{other: map[int]int{}, quit: make(chan struct{})}
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers},
		Timeout:       30 * time.Second,
	}
	t.Cleanup(client.CloseIdleConnections)
	for range workers {
		f.wg.Go(func() {
			for {
				select {
				case <-f.quit:
					return
				default:
				}
				sent := time.Now()
				resp, err := client.Get(link)
				if err != nil { // the server is gone or going: refused or closed connections
					time.Sleep(10 * time.Millisecond)
					continue
				}
				resp.Body.Close()
				f.record(sent, resp)
			}
		})
	}
	return f
}

func (f *flood) record(sent time.Time, resp *http.Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if resp.StatusCode != http.StatusFound {
		f.other[resp.StatusCode]++
		return
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || u.Query().Get("tandem_click") == "" {
		f.other[-1]++ // a 302 without a click ID
		return
	}
	f.ids = append(f.ids, u.Query().Get("tandem_click"))
	if !f.signal.IsZero() && sent.Before(f.signal) {
		f.inFlight++
	}
}

// waitFor waits until n redirects have been received.
func (f *flood) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.ids)
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d redirects within a minute", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *flood) markSignal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signal = time.Now()
}

// stop ends the flood and waits for its requests to finish.
func (f *flood) stop() {
	close(f.quit)
	f.wg.Wait()
}

// liveLinkCode returns the code of a link of an approved partner in the
// database (the demo has some).
func liveLinkCode(t *testing.T, dbURL string) string {
	t.Helper()
	var code string
	err := sqldbtest.OpenExisting(t, dbURL).InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT l.code FROM links l JOIN memberships m ON m.program_id = l.program_id AND m.partner_id = l.partner_id
			WHERE m.status = 'approved' AND l.archived_at IS NULL ORDER BY l.created_at, l.id LIMIT 1`).Scan(&code)
	})
	if err != nil {
		t.Fatalf("no live link in the demo: %v", err)
	}
	return code
}

// checkStored fails the test unless every click whose 302 was received is
// in the database, and returns the number of click rows.
func (f *flood) checkStored(t *testing.T, dbURL string) int {
	t.Helper()
	stored := map[string]bool{}
	err := sqldbtest.OpenExisting(t, dbURL).InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT id FROM clicks`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			stored[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range f.ids {
		if !stored[id] {
			missing++
		}
	}
	if missing > 0 || len(f.ids) == 0 {
		t.Errorf("%d of the %d clicks whose 302 was received are not stored", missing, len(f.ids))
	}
	return len(stored)
}
