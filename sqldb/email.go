package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// EmailService is the email outbox.
type EmailService struct{ db *DB }

var _ tandem.EmailService = (*EmailService)(nil)

// NewEmailService returns the outbox of db.
func NewEmailService(db *DB) *EmailService { return &EmailService{db: db} }

// emailData is the data every email template gets (see mail.LinkData). The
// sending job turns LinkPath into an absolute Link with the server's base
// URL. Every field is always present, so templates never meet a missing key.
type emailData struct {
	RecipientName string
	LinkPath      string
	ExpiresIn     string
	ProductName   string
	InviterName   string
	Role          string
	ProgramName   string
	Reason        string
	Version       int
	Referral      string
	Status        string
}

// queueEmail puts an email in the outbox and enqueues its send job, inside
// tx: it is sent if and only if the write that asks for it commits. data is
// the template's fields, stored as JSON.
func (tx *Tx) queueEmail(ctx context.Context, to, toName, template string, data emailData) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	id := tandem.NewID(tandem.PrefixEmail)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO emails (id, to_address, to_name, template, data, status, created_at)
		VALUES ($1, $2, $3, $4, $5, 'queued', $6)`, id, to, toName, template, string(b), ms(tx.now)); err != nil {
		return fmt.Errorf("queue email: %w", err)
	}
	return Enqueue(ctx, tx.db, tx.Tx, tandem.SendEmailJob{EmailID: id})
}

// FindEmailByID returns the outbox email with the ID, or ENOTFOUND.
func (s *EmailService) FindEmailByID(ctx context.Context, id string) (*tandem.Email, error) {
	var e tandem.Email
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `
			SELECT id, to_address, to_name, template, data, status, attempts, last_error, created_at, sent_at
			FROM emails WHERE id = $1`, id).Scan(&e.ID, &e.To, &e.ToName, &e.Template, &e.Data, &e.Status,
			&e.Attempts, &e.LastError, timeCol(&e.CreatedAt), timeCol(&e.SentAt))
	})
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Email not found.")
	}
	return &e, err
}

// MarkEmailSent records a successful send.
func (s *EmailService) MarkEmailSent(ctx context.Context, id string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE emails SET status = 'sent', attempts = attempts + 1, last_error = '', sent_at = $1 WHERE id = $2`, ms(tx.now), id)
		return err
	})
}

// RecordEmailFailure records a failed attempt.
func (s *EmailService) RecordEmailFailure(ctx context.Context, id, reason string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE emails SET attempts = attempts + 1, last_error = $1 WHERE id = $2`, reason, id)
		return err
	})
}
