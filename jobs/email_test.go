package jobs

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/mail/mailtest"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// An invitation travels from the outbox through a real SMTP server, with an
// absolute link, and a refused send is retried until it is delivered.
func TestEmailsAreSentAndRetried(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		smtpServer := mailtest.NewServer(t)
		smtpServer.FailNext(1) // the first try is refused with a temporary error
		sender, err := mail.NewSMTPSender(smtpServer.URL(), "Tandem <tandem@fjordline.example>")
		if err != nil {
			t.Fatal(err)
		}
		accounts := sqldb.NewAccountService(db)
		owner, err := accounts.CreateOwner(ctx, "owner@example.com", "Olivia Owner", "the owners password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.InviteUser(ctx, owner.ID, "fin@example.com", tandem.RoleFinance); err != nil {
			t.Fatal(err)
		}
		startRunner(t, db, "only", newRecorder(), Config{Mailer: sender, BaseURL: "https://tandem.fjordline.example/"})

		msg := smtpServer.WaitFor(t, "fin@example.com", 30*time.Second)
		if !strings.Contains(msg.Subject, "Olivia Owner") || !strings.Contains(msg.Text, "finance") {
			t.Errorf("invitation: subject %q, text %q", msg.Subject, msg.Text)
		}
		if !strings.Contains(msg.Text, "\nhttps://tandem.fjordline.example/invite/") || !strings.Contains(msg.HTML, "https://tandem.fjordline.example/invite/") {
			t.Errorf("invitation lacks the absolute link:\n%s", msg.Text)
		}
		// The outbox records the delivery after one failed attempt.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var e *tandem.Email
			ids := emailIDs(t, db)
			if len(ids) == 1 {
				e, _ = sqldb.NewEmailService(db).FindEmailByID(ctx, ids[0])
			}
			if e != nil && e.Status == tandem.EmailSent {
				if e.Attempts != 2 {
					t.Errorf("attempts = %d; want 2 (one refused, one delivered)", e.Attempts)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("email not marked sent: %+v", e)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := len(smtpServer.Messages()); n != 1 {
			t.Errorf("the SMTP server got %d messages; want 1", n)
		}
	})
}

func emailIDs(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	var ids []string
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT id FROM emails`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
