// Package mailtest runs a real SMTP server in the test process, so that
// tests can send email through mail.NewSMTPSender and read what arrived.
package mailtest

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From    string   // envelope sender (MAIL FROM)
	To      []string // envelope recipients (RCPT TO)
	User    string   // the SMTP AUTH user name, or "" when the client did not authenticate
	Data    []byte   // the message as received
	Subject string   // decoded Subject header
	Text    string   // decoded text/plain part, with "\n" line breaks
	HTML    string   // decoded text/html part, with "\n" line breaks
}

// Server is an SMTP server on 127.0.0.1 that keeps every message it
// accepts. It offers AUTH PLAIN over plain text and accepts any credentials;
// authenticating is optional.
type Server struct {
	addr string

	mu       sync.Mutex
	received []Received
	arrived  chan struct{} // closed and replaced when a message arrives
	failNext int
}

// NewServer starts a server on a random port; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{addr: l.Addr().String(), arrived: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	// Connection goroutines may outlive the test, so they must not use t.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		l.Close() // in case Serve had not yet registered it with srv
		if err := <-served; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("mailtest: serve: %v", err)
		}
	})
	return s
}

// URL returns the URL that mail.NewSMTPSender takes for this server. Add
// user:pass@ to it to test SMTP AUTH.
func (s *Server) URL() string {
	return "smtp://" + s.addr + "?tls=none"
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// WaitFor returns the first message received for the recipient to, waiting
// for it up to timeout; it fails the test if none arrives. Call it from the
// test's goroutine.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for _, r := range s.received {
			for _, rcpt := range r.To {
				if strings.EqualFold(rcpt, to) {
					s.mu.Unlock()
					return r
				}
			}
		}
		arrived, n := s.arrived, len(s.received)
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("mailtest: no message for %s within %v (%d messages to others)", to, timeout, n)
		}
	}
}

// FailNext makes the server refuse the next n messages with a temporary
// error (451), as a busy server does, so that callers can test retries.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// receive keeps a message, or refuses it if FailNext asks so.
func (s *Server) receive(r Received) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailtest: try again later"}
	}
	s.received = append(s.received, r)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

// session is one SMTP connection; it implements smtp.AuthSession.
type session struct {
	server *Server
	user   string
	from   string
	to     []string
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, _ string) error {
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	r, err := Parse(data)
	if err != nil {
		// Refused, so that the sender's test sees the bad message.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: fmt.Sprintf("mailtest: %v", err)}
	}
	r.From, r.To, r.User = se.from, se.to, se.user
	return se.server.receive(r)
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }
