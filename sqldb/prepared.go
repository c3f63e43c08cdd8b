package sqldb

import (
	"context"
	"database/sql"
	"fmt"
)

// prepared returns the query prepared on the writer pool, once for the life
// of the DB: SQLite (through modernc.org/sqlite) parses a query each time it
// is run otherwise, which on the click writer's path cost as much as the
// inserts. Call it outside a transaction (on SQLite the transaction would
// hold the only writer connection) and use the statement inside with
// tx.StmtContext, which reuses what was prepared on the transaction's
// connection. Only for fixed query texts: the cache is never pruned.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt, ok := db.stmts.Load(query); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := db.write.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if kept, loaded := db.stmts.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		return kept.(*sql.Stmt), nil
	}
	return stmt, nil
}

// prepareQueued prepares the statements queued by Tx.execRows, once the
// transaction that ran them has released the writer. A statement that
// fails to prepare is logged and stays unprepared: it ran, parsed, moments
// ago, and goes on being parsed each time.
func (db *DB) prepareQueued(ctx context.Context) {
	db.toPrepare.Range(func(query, _ any) bool {
		db.toPrepare.Delete(query)
		if _, err := db.prepared(ctx, query.(string)); err != nil {
			db.logger.Warn("a multi-row insert stays unprepared", "err", err)
		}
		return true
	})
}
