// Command benchdb is bench/redirect.sh's window on the database, so the
// script needs neither the sqlite3 CLI nor psql to read it:
//
//	benchdb port         print a free TCP port on 127.0.0.1
//	benchdb link URL     print the code of a live link of an approved partner
//	benchdb clicks URL   print the number of click rows
package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/tandem-prm/tandem/sqldb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchdb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 1 && args[0] == "port" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		return nil
	}
	if len(args) != 2 {
		return fmt.Errorf("usage: benchdb port | link URL | clicks URL")
	}
	var query string
	switch args[0] {
	case "link":
		query = `SELECT l.code FROM links l JOIN memberships m ON m.program_id = l.program_id AND m.partner_id = l.partner_id
			WHERE m.status = 'approved' AND l.archived_at IS NULL ORDER BY l.created_at, l.id LIMIT 1`
	case "clicks":
		query = `SELECT CAST(COUNT(*) AS TEXT) FROM clicks`
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	ctx := context.Background()
	db, err := sqldb.Open(ctx, args[1], slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer db.Close()
	var out string
	if err := db.InTx(ctx, func(tx *sql.Tx) error { return tx.QueryRowContext(ctx, query).Scan(&out) }); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
