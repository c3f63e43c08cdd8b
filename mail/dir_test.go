package mail_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/mail/mailtest"
)

func TestDirSender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  mail.Message
	}{
		{"text and HTML", mail.Message{
			ID: "eml_dir_html", To: "ingrid@nordvik.example", ToName: "Ingrid Sølberg",
			Subject: "Reset your password for Tandem", Text: "Hello,\n\nhttps://tandem.example/reset?t=1\n", HTML: "<p>Hello,</p>\n",
		}},
		{"text only", mail.Message{ID: "eml_dir_text", To: "a@b.example", Subject: "Hi", Text: "Hi.\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "outbox", "mail") // created by Send
			sender := mail.NewDirSender(dir)
			if sender.Dir() != dir {
				t.Errorf("Dir() = %q, want %q", sender.Dir(), dir)
			}
			if err := sender.Send(t.Context(), tt.msg); err != nil {
				t.Fatal(err)
			}

			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Fatalf("%d files in %s, want one .eml and no temporary file", len(entries), dir)
			}
			name := entries[0].Name()
			if !regexp.MustCompile(`^\d{13}-` + tt.msg.ID + `\.eml$`).MatchString(name) {
				t.Errorf("file name %q, want <unix-millis>-%s.eml", name, tt.msg.ID)
			}
			for path, want := range map[string]os.FileMode{dir: 0o750, filepath.Join(dir, name): 0o640} {
				if info, err := os.Stat(path); err != nil || info.Mode().Perm()&^want != 0 {
					t.Errorf("%s: mode %v (%v), want at most %v", path, info.Mode().Perm(), err, want)
				}
			}

			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			assertHeaders(t, data, "tandem@localhost", tt.msg)
			got, err := mailtest.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tt.msg.Subject || got.Text != tt.msg.Text || got.HTML != tt.msg.HTML {
				t.Errorf("got subject %q, text %q, HTML %q\nwant %q, %q, %q",
					got.Subject, got.Text, got.HTML, tt.msg.Subject, tt.msg.Text, tt.msg.HTML)
			}
		})
	}
}
