package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"time"
)

// dirFrom is the sender of the messages a DirSender writes, which go
// nowhere.
var dirFrom = &netmail.Address{Name: "Tandem", Address: "tandem@localhost"}

// DirSender writes each message into a folder as an .eml file instead of
// sending it, so that Tandem works without an SMTP server: any mail client
// opens the files.
type DirSender struct {
	dir string
}

var _ Sender = (*DirSender)(nil)

// NewDirSender returns a Sender that writes into dir, creating it when needed.
func NewDirSender(dir string) *DirSender {
	return &DirSender{dir: dir}
}

// Dir returns the folder the messages go to.
func (d *DirSender) Dir() string { return d.dir }

// Send writes m as dir/<unix-millis>-<ID>.eml. The file appears whole or not
// at all: it is written under a temporary name, then renamed.
func (d *DirSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := newMsg(dirFrom, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return fmt.Errorf("create mail folder: %w", err)
	}
	tmp, err := os.CreateTemp(d.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", m.ID, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = msg.WriteTo(tmp)
	if err == nil {
		err = tmp.Chmod(0o640)
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		name := fmt.Sprintf("%d-%s.eml", time.Now().UnixMilli(), m.ID)
		err = os.Rename(tmp.Name(), filepath.Join(d.dir, name))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", m.ID, err)
	}
	return nil
}
