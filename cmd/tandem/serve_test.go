package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// tandemBinary builds the real binary once per test run.
func tandemBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tandem-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "tandem")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binary = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build tandem: %v\n%s", buildErr, binary)
	}
	return binary
}

// process is a running `tandem serve`.
type process struct {
	cmd    *exec.Cmd
	url    string
	logs   chan map[string]any // every JSON log line after start-up
	done   chan error
	stdout *lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(tandemBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "TANDEM_DATA_DIR="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: make(chan map[string]any, 1000), done: make(chan error, 1), stdout: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	started := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			var line map[string]any
			if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
				line = map[string]any{"msg": "NOT JSON: " + scanner.Text()}
			}
			if line["msg"] == "tandem is running" {
				started <- line["url"].(string)
			}
			select {
			case p.logs <- line:
			default:
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.url = <-started:
	case err := <-p.done:
		t.Fatalf("tandem serve exited before it started: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("tandem serve did not start within a minute")
	}
	return p
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The real binary serves its checks and metrics, works its periodic jobs,
// and on SIGTERM or SIGINT finishes the request in flight before it exits 0.
func TestServe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		dialect sqldb.Dialect
		signal  syscall.Signal
	}{{sqldb.SQLite, syscall.SIGTERM}, {sqldb.Postgres, syscall.SIGINT}} {
		t.Run(string(tt.dialect), func(t *testing.T) {
			t.Parallel()
			var args []string
			var dbURL string
			if tt.dialect == sqldb.Postgres {
				dbURL = sqldbtest.URL(t, tt.dialect)
				args = append(args, "--database", dbURL)
			}
			p := startServe(t, append(args, "--demo")...)

			if code, body := httpGet(t, p.url+"/healthz"); code != 200 {
				t.Errorf("healthz = %d %s", code, body)
			}
			if code, body := httpGet(t, p.url+"/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
				t.Errorf("readyz = %d %s", code, body)
			}
			// The periodic audit retention job runs on start; its count and
			// the database pool appear in the metrics.
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, metrics := httpGet(t, p.url+"/metrics")
				if strings.Contains(metrics, `tandem_jobs_total{kind="audit_retention",outcome="ok"} 1`) &&
					strings.Contains(metrics, `go_sql_open_connections{db_name="write"}`) &&
					strings.Contains(metrics, `tandem_http_requests_total{code="200",method="GET",route="GET /readyz"} 1`) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("metrics never showed the job, pool and request counts:\n%s", metrics)
				}
				time.Sleep(100 * time.Millisecond)
			}

			// On PostgreSQL a request is held in flight: /readyz waits on a
			// table lock the test holds across the signal.
			var inFlight chan int
			if tt.dialect == sqldb.Postgres {
				inFlight = holdReadyzInFlight(t, p, dbURL)
			}
			if err := p.cmd.Process.Signal(tt.signal); err != nil {
				t.Fatal(err)
			}
			waitForLog(t, p, "shutting down: finishing in-flight requests and jobs")
			if inFlight != nil {
				if code := <-inFlight; code != 200 {
					t.Errorf("the request in flight at the signal answered %d; want 200", code)
				}
			}
			select {
			case err := <-p.done:
				if err != nil {
					t.Errorf("tandem serve exited with %v; want status 0", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("tandem serve did not stop within 30s of the signal")
			}
		})
	}
}

// holdReadyzInFlight starts a GET /readyz that blocks on a lock of the
// migrations table, and releases the lock shortly after the caller has sent
// its signal. The channel gets the status code the request finally got.
func holdReadyzInFlight(t *testing.T, p *process, dbURL string) chan int {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE goose_db_version IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	code := make(chan int, 1)
	go func() {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			code <- 0
			return
		}
		resp.Body.Close()
		code <- resp.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the request is now waiting on the lock
	go func() {
		time.Sleep(700 * time.Millisecond) // the signal has been sent by now
		tx.Rollback()
	}()
	return code
}

func waitForLog(t *testing.T, p *process, msg string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.logs:
			if strings.HasPrefix(line["msg"].(string), "NOT JSON") {
				t.Errorf("a log line is not JSON: %s", line["msg"])
			}
			if line["msg"] == msg {
				return
			}
		case <-timeout:
			t.Fatalf("no log line %q", msg)
		}
	}
}

// Without an owner, serve prints a one-time setup link that works.
func TestServePrintsSetupLink(t *testing.T) {
	t.Parallel()
	p := startServe(t)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.stdout.String(), "/setup/") {
		if time.Now().After(deadline) {
			t.Fatalf("no setup link in stdout: %q", p.stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := p.stdout.String()
	link := strings.Fields(out[strings.Index(out, p.url+"/setup/"):])[0]
	if code, body := httpGet(t, link); code != 200 || !strings.Contains(body, "Create owner account") {
		t.Errorf("setup link %s = %d", link, code)
	}
}
