package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds connecting to the SMTP server and, after that, the
// whole exchange of one message.
const smtpTimeout = 30 * time.Second

// SMTPSender sends messages through an SMTP server, one connection per
// message. It is safe for concurrent use.
type SMTPSender struct {
	host string
	opts []gomail.Option
	from *netmail.Address
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender returns a Sender for the server at rawURL, sending from the
// address from (e.g. "Tandem <noreply@example.com>"). The URL is one of
//
//	smtp://[user[:pass]@]host[:port]               STARTTLS when offered, port 587
//	smtp://[user[:pass]@]host[:port]?tls=required  STARTTLS or fail
//	smtp://[user[:pass]@]host[:port]?tls=none      plain text, for local servers
//	smtps://[user[:pass]@]host[:port]              implicit TLS, port 465
//
// A user name turns on SMTP AUTH with the best mechanism the server offers.
// Errors never quote the password.
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	cfg, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from address %q: want one address such as Tandem <noreply@example.com>", from)
	}
	s := &SMTPSender{host: cfg.host, opts: cfg.options(), from: addr}
	if _, err := gomail.NewClient(s.host, s.opts...); err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return s, nil
}

// Send delivers m. ctx bounds connecting; smtpTimeout bounds the rest.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := newMsg(s.from, m)
	if err != nil {
		return err
	}
	// A fresh client per message: go-mail's Client keeps per-connection
	// state (the negotiated AUTH mechanism), so sharing one is not safe.
	client, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("send %s: %w", m.ID, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send %s over SMTP: %w", m.ID, err)
	}
	return nil
}

// smtpConfig is what an SMTP URL says.
type smtpConfig struct {
	host       string
	port       int
	ssl        bool             // implicit TLS (smtps://)
	tls        gomail.TLSPolicy // STARTTLS policy of smtp://
	user, pass string           // SMTP AUTH when user is set
}

// parseSMTPURL parses an SMTP URL (see NewSMTPSender). Its errors quote
// nothing but the scheme, since any other part may hold the password.
func parseSMTPURL(rawURL string) (smtpConfig, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			// The parser's detail could quote part of the password.
			return smtpConfig{}, errors.New("SMTP URL is not a valid URL; percent-encode special characters in the user name and password")
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL, which the caller has
		}
		return smtpConfig{}, fmt.Errorf("SMTP URL is not a valid URL: %w", err)
	}
	cfg := smtpConfig{tls: gomail.TLSOpportunistic}
	switch u.Scheme {
	case "smtp":
		cfg.port = gomail.DefaultPortTLS
	case "smtps":
		cfg.port, cfg.ssl = gomail.DefaultPortSSL, true
	default:
		return cfg, fmt.Errorf("SMTP URL scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return cfg, errors.New("SMTP URL must not have a path; percent-encode special characters in the user name and password")
	}
	query := u.Query()
	for key := range query {
		if key != "tls" {
			return cfg, errors.New("SMTP URL has an unknown option: the only one is tls=required or tls=none")
		}
	}
	switch tlsOpt := query.Get("tls"); {
	case tlsOpt == "":
	case cfg.ssl:
		return cfg, errors.New("SMTP URL option tls applies to smtp:// only: smtps:// always uses TLS")
	case tlsOpt == "required":
		cfg.tls = gomail.TLSMandatory
	case tlsOpt == "none":
		cfg.tls = gomail.NoTLS
	default:
		return cfg, errors.New("SMTP URL option tls must be required or none (or absent: STARTTLS when offered)")
	}
	if cfg.host = u.Hostname(); cfg.host == "" {
		return cfg, errors.New("SMTP URL has no host: want smtp://[user[:pass]@]host[:port]")
	}
	if p := u.Port(); p != "" {
		if cfg.port, err = strconv.Atoi(p); err != nil || cfg.port < 1 || cfg.port > 65535 {
			return cfg, errors.New("SMTP URL port must be a number from 1 to 65535")
		}
	}
	if u.User != nil {
		cfg.user = u.User.Username()
		cfg.pass, _ = u.User.Password()
		if cfg.user == "" {
			return cfg, errors.New("SMTP URL has a password but no user name")
		}
	}
	return cfg, nil
}

// options returns the go-mail client options of cfg.
func (cfg smtpConfig) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(cfg.port), gomail.WithTimeout(smtpTimeout)}
	if cfg.ssl {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(cfg.tls))
	}
	switch {
	case cfg.user == "":
	case cfg.tls == gomail.NoTLS:
		// The URL asks for plain text, so PLAIN and LOGIN may send the
		// password in the clear; go-mail's auto-discovery would refuse them.
		opts = append(opts, gomail.WithUsername(cfg.user), gomail.WithPassword(cfg.pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc))
	default:
		opts = append(opts, gomail.WithUsername(cfg.user), gomail.WithPassword(cfg.pass),
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
	}
	return opts
}
