// Package mail sends Tandem's emails: over any SMTP server, or, without one,
// into a folder as .eml files so the demo still works; and it renders the
// email templates.
package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/tandem-prm/tandem"
)

// Message is one email, ready to send.
type Message struct {
	ID      string // Tandem's outbox ID (e.g. "eml_…"); used in the Message-ID header and the .eml file name
	To      string // address
	ToName  string // optional display name
	Subject string
	Text    string // plain-text body (always present)
	HTML    string // HTML body (optional)
}

// Sender delivers a message. Send returns an error for a failure worth
// retrying, except for a message that can never be sent (a malformed ID or
// address, no text): that is an EINVALID *tandem.Error.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// newMsg checks m and builds it as a MIME message from the given sender:
// text/plain alone, or multipart/alternative with the HTML part when m has
// one. The Message-ID is m.ID at the domain of from.
func newMsg(from *netmail.Address, m Message) (*gomail.Msg, error) {
	if !validID(m.ID) {
		return nil, tandem.Invalidf("id", "Message ID %q must be letters, digits, '_' or '-'.", m.ID)
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Name != "" {
		return nil, tandem.Invalidf("to", "Recipient %q must be a plain address such as jane@example.com.", m.To)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, tandem.Invalidf("text", "Message %s has no text body.", m.ID)
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(from)
	msg.ToMailAddress(&netmail.Address{Name: m.ToName, Address: to.Address})
	msg.Subject(m.Subject)
	msg.SetDate()
	_, domain, _ := strings.Cut(from.Address, "@")
	msg.SetMessageIDWithValue(fmt.Sprintf("%s@%s", m.ID, domain))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// validID reports whether id is safe in a file name and a Message-ID.
func validID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
