package tandem

import (
	"context"
	"time"
)

// EmailStatus is where an outbox email stands.
type EmailStatus string

// Email statuses.
const (
	EmailQueued EmailStatus = "queued"
	EmailSent   EmailStatus = "sent"
)

// Email is one message in the outbox. Services queue it, with its send job,
// in the transaction of the write that causes it; a job renders and sends it.
type Email struct {
	ID        string
	To        string
	ToName    string
	Template  string // a template of package mail, e.g. "magic_link"
	Data      string // JSON object of the template's fields
	Status    EmailStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
}

// EmailService is the outbox as its sender sees it.
type EmailService interface {
	FindEmailByID(ctx context.Context, id string) (*Email, error)
	// MarkEmailSent records a successful send.
	MarkEmailSent(ctx context.Context, id string) error
	// RecordEmailFailure records a failed attempt and its reason.
	RecordEmailFailure(ctx context.Context, id string, reason string) error
}
