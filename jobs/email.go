package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
)

// sendEmailWorker renders an outbox email and sends it. River retries a
// failed send with backoff; an email already sent is not sent again.
type sendEmailWorker struct {
	river.WorkerDefaults[tandem.SendEmailJob]
	emails  tandem.EmailService
	sender  mail.Sender
	baseURL string
	logger  *slog.Logger
}

func (w *sendEmailWorker) Work(ctx context.Context, job *river.Job[tandem.SendEmailJob]) error {
	e, err := w.emails.FindEmailByID(ctx, job.Args.EmailID)
	if err != nil {
		return err
	}
	if e.Status == tandem.EmailSent {
		return nil
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(e.Data), &data); err != nil {
		return river.JobCancel(fmt.Errorf("email %s: bad template data: %w", e.ID, err))
	}
	// Services store links as paths; only the server knows its public URL.
	link := ""
	if path, ok := data["LinkPath"].(string); ok {
		link = strings.TrimSuffix(w.baseURL, "/") + path
		data["Link"] = link
	}
	subject, text, html, err := mail.Render(e.Template, data)
	if err != nil {
		return river.JobCancel(fmt.Errorf("email %s: %w", e.ID, err))
	}
	msg := mail.Message{ID: e.ID, To: e.To, ToName: e.ToName, Subject: subject, Text: text, HTML: html}
	if err := w.sender.Send(ctx, msg); err != nil {
		if recErr := w.emails.RecordEmailFailure(ctx, e.ID, err.Error()); recErr != nil {
			w.logger.Error("recording an email failure", "email_id", e.ID, "err", recErr)
		}
		if tandem.ErrorCode(err) == tandem.EINVALID {
			return river.JobCancel(fmt.Errorf("email %s cannot be sent: %w", e.ID, err)) // retrying would not help
		}
		return fmt.Errorf("send email %s: %w", e.ID, err)
	}
	if dir, ok := w.sender.(*mail.DirSender); ok {
		// Without SMTP the demo still works: say where the email went.
		w.logger.Info("email written to a file (no SMTP server configured)", "to", e.To, "subject", subject, "dir", dir.Dir(), "link", link)
	} else {
		w.logger.Info("email sent", "email_id", e.ID, "to", e.To, "template", e.Template)
	}
	return w.emails.MarkEmailSent(ctx, e.ID)
}

// clickWindowCleanupWorker deletes the click windows that have passed.
type clickWindowCleanupWorker struct {
	river.WorkerDefaults[tandem.ClickWindowCleanupJob]
	clicks ClickWindows
}

func (w *clickWindowCleanupWorker) Work(ctx context.Context, job *river.Job[tandem.ClickWindowCleanupJob]) error {
	n, err := w.clicks.PurgeClickWindows(ctx)
	if err == nil {
		river.RecordOutput(ctx, map[string]int{"deleted": n})
	}
	return err
}

// sessionCleanupWorker deletes expired sessions, links and rate-limit windows.
type sessionCleanupWorker struct {
	river.WorkerDefaults[tandem.SessionCleanupJob]
	accounts tandem.AccountService
}

func (w *sessionCleanupWorker) Work(ctx context.Context, job *river.Job[tandem.SessionCleanupJob]) error {
	n, err := w.accounts.PurgeExpired(ctx)
	if err == nil {
		river.RecordOutput(ctx, map[string]int{"deleted": n})
	}
	return err
}
