package mail

import (
	"testing"

	gomail "github.com/wneessen/go-mail"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want smtpConfig
	}{
		{"smtp://mail.example.com", smtpConfig{host: "mail.example.com", port: 587, tls: gomail.TLSOpportunistic}},
		{"SMTP://mail.example.com:25/", smtpConfig{host: "mail.example.com", port: 25, tls: gomail.TLSOpportunistic}},
		{"smtp://mail.example.com?tls=required", smtpConfig{host: "mail.example.com", port: 587, tls: gomail.TLSMandatory}},
		{"smtp://127.0.0.1:1025?tls=none", smtpConfig{host: "127.0.0.1", port: 1025, tls: gomail.NoTLS}},
		{"smtp://[::1]:1025?tls=none", smtpConfig{host: "::1", port: 1025, tls: gomail.NoTLS}},
		{"smtps://mail.example.com", smtpConfig{host: "mail.example.com", port: 465, ssl: true, tls: gomail.TLSOpportunistic}},
		{"smtps://apikey:p%40ss%2Fw%3Ard@smtp.example.com:2465", smtpConfig{
			host: "smtp.example.com", port: 2465, ssl: true, tls: gomail.TLSOpportunistic, user: "apikey", pass: "p@ss/w:rd",
		}},
		{"smtp://user@mail.example.com", smtpConfig{host: "mail.example.com", port: 587, tls: gomail.TLSOpportunistic, user: "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := parseSMTPURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
