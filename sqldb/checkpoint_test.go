package sqldb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openTestSQLite opens a migrated SQLite database in a temporary directory
// and returns it with the path of its file.
func openTestSQLite(t *testing.T) (*DB, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(ctx, "sqlite:"+path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// TestCheckpointerCopiesWAL: what the writer commits reaches the database
// file without a checkpoint of the writer's own (its automatic one waits
// for 10,000 WAL pages, far more than written here); closing twice is safe.
func TestCheckpointerCopiesWAL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path := openTestSQLite(t)
	if _, err := db.checkpoints.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	const rows, size = 512, 4000 // about 2 MB
	err := db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE filler (n INTEGER PRIMARY KEY, data TEXT NOT NULL)`); err != nil {
			return err
		}
		for n := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO filler (n, data) VALUES ($1, $2)`, n, strings.Repeat("x", size)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * checkpointInterval)
	for fileSize(t, path) < before+rows*size {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes, %d before: the WAL was not checkpointed within %v", fileSize(t, path), before, 10*checkpointInterval)
		}
		time.Sleep(checkpointInterval / 10)
	}
	if err := db.Close(); err != nil { // and the cleanup closes it again
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestFullInsertPrepared: insertRows' statement of the most rows is
// prepared after the transaction that first ran it, and later transactions
// insert through it; the shorter rest is not kept.
func TestFullInsertPrepared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openTestSQLite(t)
	const head = `INSERT INTO filler (n, label)`
	var full, rest string
	insert := func(from int) {
		t.Helper()
		rows := make([][]any, 600)
		for i := range rows {
			rows[i] = []any{from + i, fmt.Sprint("row ", from+i)}
		}
		err := db.inWriteTx(ctx, func(tx *Tx) error {
			full, rest = tx.rowsQuery(head, "", 2, 500), tx.rowsQuery(head, "", 2, 100)
			n, err := tx.insertRows(ctx, head, "", rows)
			if err == nil && n != int64(len(rows)) {
				err = fmt.Errorf("inserted %d rows of %d", n, len(rows))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.inWriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE filler (n INTEGER PRIMARY KEY, label TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert(0)
	if _, ok := db.stmts.Load(full); !ok {
		t.Fatal("the 500-row statement was not prepared after its first transaction")
	}
	if _, ok := db.stmts.Load(rest); ok {
		t.Error("the 100-row statement was kept prepared")
	}
	insert(600)
	var count, sum int
	var label string
	err := db.inReadTx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), SUM(n) FROM filler`).Scan(&count, &sum); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT label FROM filler WHERE n = 1099`).Scan(&label)
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != 1200 || sum != 1199*1200/2 || label != "row 1099" {
		t.Errorf("filler has %d rows summing to %d, row 1099 labelled %q; want 1200, %d, %q", count, sum, label, 1199*1200/2, "row 1099")
	}
}
