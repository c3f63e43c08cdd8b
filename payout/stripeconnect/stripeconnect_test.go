package stripeconnect

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

// stripeMock starts stripe-mock (installing it with go install when it is
// missing) and returns its HTTP URL.
func stripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gobin := t.TempDir()
		if home, err := os.UserHomeDir(); err == nil {
			if _, err := os.Stat(filepath.Join(home, "go", "bin", "stripe-mock")); err == nil {
				gobin = filepath.Join(home, "go", "bin")
			}
		}
		bin = filepath.Join(gobin, "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			cmd := exec.Command("go", "install", "github.com/stripe/stripe-mock@v0.203.0")
			cmd.Env = append(os.Environ(), "GOBIN="+gobin)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("install stripe-mock: %v\n%s", err, out)
			}
		}
	}
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	httpPort, httpsPort := port(), port()
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort), "-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpPort)); err == nil {
			c.Close()
			return base
		}
	}
	t.Fatal("stripe-mock did not start")
	return ""
}

// recorder sits in front of stripe-mock: it records each transfer request's
// Idempotency-Key and can answer for Stripe instead (a refusal, an outage).
type recorder struct {
	mu     sync.Mutex
	keys   []string
	answer func(r *http.Request) (int, string) // status 0: pass to stripe-mock
}

func (rec *recorder) server(t *testing.T, mock string) string {
	u, _ := url.Parse(mock)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.keys = append(rec.keys, r.Header.Get("Idempotency-Key"))
		answer := rec.answer
		rec.mu.Unlock()
		if answer != nil {
			if status, body := answer(r); status != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprint(w, body)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSendThroughStripeMock(t *testing.T) {
	rec := &recorder{}
	p := New("sk_test_123", rec.server(t, stripeMock(t)), nil)
	line := &tandem.PayoutLine{ID: "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", BatchID: "pbt_b", PartnerID: "prt_p", Amount: 12345, Currency: "USD",
		MethodKind: tandem.MethodStripeConnect, Method: tandem.PayoutMethod{Details: map[string]string{"account_id": "acct_1A2b3C4d5E6f"}}}
	ctx := context.Background()
	r, err := p.Send(ctx, line)
	if err != nil || !r.Settled || r.Failed || !strings.HasPrefix(r.Reference, "tr_") {
		t.Fatalf("send: %+v %v", r, err)
	}
	// Sending the line again uses the same key, so Stripe answers the first
	// transfer instead of making a second.
	if _, err := p.Send(ctx, line); err != nil {
		t.Fatal(err)
	}
	if len(rec.keys) != 2 || rec.keys[0] != line.ID || rec.keys[1] != line.ID {
		t.Fatalf("idempotency keys %q", rec.keys)
	}

	// Stripe's refusal fails the line with Stripe's message.
	rec.answer = func(*http.Request) (int, string) {
		return 400, `{"error":{"type":"invalid_request_error","message":"No such destination: 'acct_1A2b3C4d5E6f'"}}`
	}
	r, err = p.Send(ctx, line)
	if err != nil || !r.Failed || r.Reason != "Stripe: No such destination: 'acct_1A2b3C4d5E6f'" {
		t.Fatalf("refused: %+v %v", r, err)
	}
	// An outage is an error: the line stays sending and is sent again.
	rec.answer = func(*http.Request) (int, string) { return 500, `{"error":{"type":"api_error","message":"down"}}` }
	if r, err = p.Send(ctx, line); err == nil || r.Settled {
		t.Fatalf("outage: %+v %v", r, err)
	}
}
