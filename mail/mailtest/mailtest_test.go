package mailtest_test

import (
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem/mail/mailtest"
)

// TestServerDecodes sends raw messages with the standard library's client,
// covering transfer encodings that mail's own messages do not use.
func TestServerDecodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string
		want     mailtest.Received
		wantFail bool
	}{
		{
			name: "base64 HTML, quoted-printable text, nested in multipart/mixed",
			data: "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
				"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
				"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
				"--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"Gr=C3=BC=C3=9Fe, a long line that is soft=\r\n-wrapped.\r\nhttps://x.example/?a=3D1\r\n" +
				"--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"PHA+R3LDvMOfZTwv\r\ncD4=\r\n" +
				"--inner--\r\n--outer\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnot the body\r\n--outer--\r\n",
			want: mailtest.Received{
				Subject: "Grüße",
				Text:    "Grüße, a long line that is soft-wrapped.\nhttps://x.example/?a=1",
				HTML:    "<p>Grüße</p>",
			},
		},
		{
			name: "no MIME headers",
			data: "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nJust text.\r\n",
			want: mailtest.Received{Subject: "Hi", Text: "Just text.\n"},
		},
		{
			name:     "malformed MIME is refused",
			data:     "From: a@example.com\r\nContent-Type: multipart/alternative\r\n\r\nno boundary\r\n",
			wantFail: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := mailtest.NewServer(t)
			addr := strings.TrimSuffix(strings.TrimPrefix(server.URL(), "smtp://"), "?tls=none")
			err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(tt.data))
			if tt.wantFail {
				if err == nil || !strings.Contains(err.Error(), "554") || len(server.Messages()) != 0 {
					t.Errorf("SendMail: %v, want a 554 and nothing kept", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := server.WaitFor(t, "B@example.com", 5*time.Second)
			if got.From != "a@example.com" || !slices.Equal(got.To, []string{"b@example.com"}) {
				t.Errorf("envelope %q -> %q", got.From, got.To)
			}
			if got.Subject != tt.want.Subject || got.Text != tt.want.Text || got.HTML != tt.want.HTML {
				t.Errorf("got %q, %q, %q\nwant %q, %q, %q", got.Subject, got.Text, got.HTML, tt.want.Subject, tt.want.Text, tt.want.HTML)
			}
			if string(got.Data) != tt.data {
				t.Errorf("Data differs from what was sent:\n%q", got.Data)
			}
		})
	}
}

func TestServerFailNext(t *testing.T) {
	t.Parallel()
	server := mailtest.NewServer(t)
	server.FailNext(1)
	addr := strings.TrimSuffix(strings.TrimPrefix(server.URL(), "smtp://"), "?tls=none")
	msg := []byte("Subject: Hi\r\n\r\nHi.\r\n")
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, msg); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("first send: %v, want a 451", err)
	}
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, msg); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if n := len(server.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}
