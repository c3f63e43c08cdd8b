package mail_test

import (
	"context"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/mail/mailtest"
)

const from = "Tandem <noreply@tandem.example>"

func TestSMTPSenderSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		url      func(s *mailtest.Server) string
		msg      mail.Message
		wantUser string
	}{
		{
			name: "text and HTML",
			url:  (*mailtest.Server).URL,
			msg: mail.Message{
				ID: "eml_text_and_html", To: "ingrid@nordvik.example", ToName: "Ingrid Sølberg",
				Subject: "Your sign-in link — Tandem",
				Text:    "Hello Ingrid,\n\nhttps://tandem.example/login?token=abc&x=1\n\nA long line to make quoted-printable wrap it: " + strings.Repeat("wrap ", 30) + "\n",
				HTML:    "<p>Hello <b>Ingrid</b> = ünïcode</p>\n",
			},
		},
		{
			name: "text only",
			url:  (*mailtest.Server).URL,
			msg:  mail.Message{ID: "eml_text_only", To: "marcus@webb.example", Subject: "Plain", Text: "Just text.\n"},
		},
		{
			name: "STARTTLS when offered, and this server does not",
			url:  func(s *mailtest.Server) string { return strings.TrimSuffix(s.URL(), "?tls=none") },
			msg:  mail.Message{ID: "eml_opportunistic", To: "a@b.example", Subject: "Hi", Text: "Hi.\n"},
		},
		{
			name: "SMTP AUTH",
			url: func(s *mailtest.Server) string {
				return strings.Replace(s.URL(), "smtp://", "smtp://mailer:s3cret%2Fpw@", 1)
			},
			msg:      mail.Message{ID: "eml_auth", To: "a@b.example", Subject: "Hi", Text: "Hi.\n"},
			wantUser: "mailer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := mailtest.NewServer(t)
			sender, err := mail.NewSMTPSender(tt.url(server), from)
			if err != nil {
				t.Fatal(err)
			}
			if err := sender.Send(t.Context(), tt.msg); err != nil {
				t.Fatal(err)
			}
			got := server.WaitFor(t, tt.msg.To, 5*time.Second)

			if got.From != "noreply@tandem.example" || !slices.Equal(got.To, []string{tt.msg.To}) {
				t.Errorf("envelope from %q to %q, want noreply@tandem.example to %q", got.From, got.To, tt.msg.To)
			}
			if got.User != tt.wantUser {
				t.Errorf("AUTH user %q, want %q", got.User, tt.wantUser)
			}
			assertHeaders(t, got.Data, "noreply@tandem.example", tt.msg)
			if got.Subject != tt.msg.Subject || got.Text != tt.msg.Text || got.HTML != tt.msg.HTML {
				t.Errorf("got subject %q, text %q, HTML %q\nwant %q, %q, %q",
					got.Subject, got.Text, got.HTML, tt.msg.Subject, tt.msg.Text, tt.msg.HTML)
			}
		})
	}
}

// assertHeaders checks the headers of the raw message data against m.
func assertHeaders(t *testing.T, data []byte, fromAddr string, m mail.Message) {
	t.Helper()
	parsed, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	if f, err := netmail.ParseAddress(h.Get("From")); err != nil || f.Address != fromAddr {
		t.Errorf("From %q (%v), want address %s", h.Get("From"), err, fromAddr)
	}
	if to, err := netmail.ParseAddress(h.Get("To")); err != nil || to.Address != m.To || to.Name != m.ToName {
		t.Errorf("To %q (%v), want %q <%s>", h.Get("To"), err, m.ToName, m.To)
	}
	_, domain, _ := strings.Cut(fromAddr, "@")
	if got, want := h.Get("Message-ID"), "<"+m.ID+"@"+domain+">"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if date, err := h.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date %q (%v), want now", h.Get("Date"), err)
	}
	mediaType, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if want := map[bool]string{true: "multipart/alternative", false: "text/plain"}[m.HTML != ""]; err != nil || mediaType != want {
		t.Errorf("Content-Type %q (%v), want %s", h.Get("Content-Type"), err, want)
	}
}

func TestSMTPSenderSendErrors(t *testing.T) {
	t.Parallel()
	valid := mail.Message{ID: "eml_x", To: "a@b.example", Subject: "Hi", Text: "Hi.\n"}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		url      func(s *mailtest.Server) string
		failNext int
		ctx      context.Context
		msg      mail.Message
		wantErr  string
		wantCode string // tandem error code
	}{
		{name: "server refuses with 451", failNext: 1, msg: valid, wantErr: "451", wantCode: tandem.EINTERNAL},
		{name: "STARTTLS required, not offered", url: func(s *mailtest.Server) string {
			return strings.Replace(s.URL(), "tls=none", "tls=required", 1)
		}, msg: valid, wantErr: "STARTTLS", wantCode: tandem.EINTERNAL},
		{name: "canceled context", ctx: canceled, msg: valid, wantErr: "canceled", wantCode: tandem.EINTERNAL},
		{name: "bad recipient", msg: mail.Message{ID: "eml_x", To: "not an address", Text: "x"}, wantErr: "Recipient", wantCode: tandem.EINVALID},
		{name: "recipient with a name", msg: mail.Message{ID: "eml_x", To: "A <a@b.example>", Text: "x"}, wantErr: "Recipient", wantCode: tandem.EINVALID},
		{name: "unsafe ID", msg: mail.Message{ID: "../x", To: "a@b.example", Text: "x"}, wantErr: "ID", wantCode: tandem.EINVALID},
		{name: "no text", msg: mail.Message{ID: "eml_x", To: "a@b.example", HTML: "<p>x</p>"}, wantErr: "text", wantCode: tandem.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := mailtest.NewServer(t)
			server.FailNext(tt.failNext)
			url, ctx := server.URL(), t.Context()
			if tt.url != nil {
				url = tt.url(server)
			}
			if tt.ctx != nil {
				ctx = tt.ctx
			}
			sender, err := mail.NewSMTPSender(url, from)
			if err != nil {
				t.Fatal(err)
			}
			err = sender.Send(ctx, tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send: %v, want an error with %q", err, tt.wantErr)
			}
			if code := tandem.ErrorCode(err); code != tt.wantCode {
				t.Errorf("error code %q, want %q", code, tt.wantCode)
			}
			if n := len(server.Messages()); n != 0 {
				t.Errorf("server kept %d messages, want none", n)
			}
		})
	}
}

func TestSMTPSenderSendAfterFailures(t *testing.T) {
	t.Parallel()
	server := mailtest.NewServer(t)
	server.FailNext(2)
	sender, err := mail.NewSMTPSender(server.URL(), from)
	if err != nil {
		t.Fatal(err)
	}
	m := mail.Message{ID: "eml_retry", To: "a@b.example", Subject: "Hi", Text: "Hi.\n"}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := sender.Send(t.Context(), m); err == nil {
			t.Fatalf("attempt %d succeeded, want a 451", attempt)
		}
	}
	if err := sender.Send(t.Context(), m); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if got := server.WaitFor(t, "A@B.example", 5*time.Second); got.Subject != "Hi" {
		t.Errorf("subject %q, want Hi", got.Subject)
	}
	if n := len(server.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestNewSMTPSenderErrors(t *testing.T) {
	t.Parallel()
	const password = "s3cret"
	tests := []struct {
		url, from string
		wantErr   string
	}{
		{"http://user:s3cret@mail.example.com", from, `scheme "http"`},
		{"mail.example.com:587", from, "scheme"},
		{"", from, "scheme"},
		{"smtp://user:s3cret@mail.example.com:0", from, "port"},
		{"smtp://user:s3cret@mail.example.com:70000", from, "port"},
		{"smtp://mail.example.com:abc", from, "port"},
		{"smtp://user:s3cret@mail.example.com:abc", from, "percent-encode"},
		{"smtp://user:s3%zzcret@mail.example.com", from, "percent-encode"},
		{"smtp://user:12/s3cret@mail.example.com", from, "path"},
		{"smtp://user:12?s3cret@mail.example.com", from, "unknown option"},
		{"smtp://user:s3cret@mail.example.com?tls=maybe", from, "tls must be required or none"},
		{"smtps://user:s3cret@mail.example.com?tls=none", from, "smtps:// always uses TLS"},
		{"smtp://user:s3cret@mail.example.com?tsl=none", from, "unknown option"},
		{"smtp://user:s3cret@:587", from, "no host"},
		{"smtp://user:s3cret@", from, "no host"},
		{"smtp:mail.example.com", from, "no host"},
		{"smtp://:s3cret@mail.example.com", from, "no user name"},
		{"smtp://user:s3cret@mail.example.com", "", "from address"},
		{"smtp://user:s3cret@mail.example.com", "tandem", "from address"},
		{"smtp://user:s3cret@mail.example.com", "a@b.example, c@d.example", "from address"},
	}
	for _, tt := range tests {
		t.Run(tt.url+" "+tt.from, func(t *testing.T) {
			t.Parallel()
			_, err := mail.NewSMTPSender(tt.url, tt.from)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
