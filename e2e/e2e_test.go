//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromiumPath is where Debian's chromium package installs the browser; the
// browser tests launch it (lib.mjs) instead of downloading one.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser builds tandem, starts it with the demo business and runs the
// browser tests (*.test.mjs) against it.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser tests do not run with -short")
	}
	requireTools(t)

	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildTandem(t, repo)
	srv := startTandem(t, bin)

	shots := filepath.Join(repo, "e2e", "screenshots")
	if err := os.RemoveAll(shots); err != nil { // no stale pictures from an earlier run
		t.Fatal(err)
	}
	runNode(t, srv, shots)
	srv.stop(t)
}

// requireTools skips the test when node, chromium or playwright-core is
// missing, or fails it on CI (CI=true), where they must be installed.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (not on PATH)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath)
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "e2e/node_modules/playwright-core")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("the browser tests need %s: install Node.js 20+ and chromium (`apt-get install -y chromium`), then run `npm ci --prefix e2e` from the repository root",
		strings.Join(missing, ", "))
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI=true: required)")
	}
	t.Skip(msg)
}

// buildTandem builds cmd/tandem (without -race, whatever the test runs with).
func buildTandem(t *testing.T, repo string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tandem")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tandem")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tandem: %v\n%s", err, out)
	}
	return bin
}

// server is a running `tandem serve --demo`.
type server struct {
	cmd     *exec.Cmd
	url     string
	mailDir string
	done    chan error // the result of cmd.Wait, once it exits

	mu   sync.Mutex
	logs []map[string]any // its JSON log lines
	out  bytes.Buffer     // its standard output (the demo's sign-in details)
}

// startTandem starts the binary on a free port with a fresh data directory
// and waits until it logs that it is running.
func startTandem(t *testing.T, bin string) *server {
	t.Helper()
	dataDir := t.TempDir()
	args := []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--log-format", "json", "--data-dir", dataDir}
	if db := os.Getenv("TANDEM_E2E_DATABASE"); db != "" {
		args = append(args, "--database", db)
	}
	s := &server{cmd: exec.Command(bin, args...), mailDir: filepath.Join(dataDir, "mail"), done: make(chan error, 1)}
	s.cmd.Env = withoutTandemVars(os.Environ()) // e.g. a TANDEM_SMTP_URL would send the emails away
	s.cmd.Stdout = &lockedWriter{mu: &s.mu, w: &s.out}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			s.dump(t)
		}
	})

	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				line = map[string]any{"level": "NOT JSON", "msg": sc.Text()}
			}
			s.mu.Lock()
			s.logs = append(s.logs, line)
			s.mu.Unlock()
			if url, ok := line["url"].(string); ok && line["msg"] == "tandem is running" {
				started <- url
			}
		}
		s.done <- s.cmd.Wait()
	}()

	select {
	case s.url = <-started:
		t.Logf("tandem is running at %s (data in %s)", s.url, dataDir)
		return s
	case err := <-s.done:
		s.dump(t)
		t.Fatalf("tandem serve exited before it was running: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("tandem serve did not log \"tandem is running\" within 2 minutes")
	}
	return nil
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("tandem serve did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(time.Minute):
		t.Error("tandem serve did not stop within a minute of SIGTERM")
	}
}

// dump logs what the server printed: its warnings and errors, and its last
// lines.
func (s *server) dump(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	const tail = 40
	for i, line := range s.logs {
		if (line["level"] != "INFO" && line["level"] != "DEBUG") || i >= len(s.logs)-tail {
			b, _ := json.Marshal(line)
			t.Logf("server log: %s", b)
		}
	}
	if s.out.Len() > 0 {
		t.Logf("server output:\n%s", s.out.String())
	}
}

// runNode runs the browser tests against the server, with Node's output in
// the test log, and fails the test if any of them fails.
func runNode(t *testing.T, s *server, shots string) {
	t.Helper()
	files, err := filepath.Glob("*.test.mjs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no browser tests (*.test.mjs) in e2e/: %v", err)
	}
	sort.Strings(files)

	timeout := 10 * time.Minute
	if d, ok := t.Deadline(); ok && time.Until(d)-30*time.Second < timeout {
		timeout = time.Until(d) - 30*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, "node", append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(withoutVars(os.Environ(), "FORCE_COLOR", "NODE_OPTIONS"),
		"TANDEM_URL="+s.url,
		"TANDEM_MAIL_DIR="+s.mailDir,
		"TANDEM_SCREENSHOTS="+shots,
		"NO_COLOR=1",
	)
	// Node and the browsers it starts form one process group, which a
	// timeout kills whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = out, out

	start := time.Now()
	err = cmd.Run()
	out.flush()
	if ctx.Err() != nil {
		t.Fatalf("the browser tests did not finish within %v", timeout.Round(time.Second))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("the browser tests failed (node exited with %d after %v): see the output above", exit.ExitCode(), time.Since(start).Round(time.Millisecond))
	} else if err != nil {
		t.Fatalf("run node: %v", err)
	}
}

// withoutTandemVars drops every TANDEM_* variable, so that the server runs
// with the flags given and nothing from the caller's environment.
func withoutTandemVars(env []string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "TANDEM_") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// withoutVars drops the named variables.
func withoutVars(env []string, names ...string) []string {
	var kept []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		kept = append(kept, kv)
	}
	return kept
}

// lineLogger writes what it is given to the test log, a line at a time.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(strings.TrimRight(string(l.buf[:i]), "\r"))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

// lockedWriter serialises writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
