package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

// maxRowParams bounds the parameters of one multi-row statement, under
// SQLite's limit (32,766) and PostgreSQL's (65,535).
const maxRowParams = 30000

// insertRows inserts rows (each with the same number of values) with as few
// multi-row statements as the parameter limit allows: head is
// "INSERT INTO t (a, b)", tail what follows the VALUES (an ON CONFLICT
// clause, or ""). It returns how many rows were inserted, which is fewer
// than len(rows) when the tail skipped some. On SQLite a statement of the
// most rows (a bulk request's, mostly) is prepared once, after the first
// transaction that ran it (see Tx.execRows): parsing it took as long as a
// third of the inserting.
func (tx *Tx) insertRows(ctx context.Context, head, tail string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	cols := len(rows[0])
	per := max(1, min(500, maxRowParams/cols))
	var inserted int64
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, row := range chunk {
			args = append(args, row...)
		}
		res, err := tx.execRows(ctx, tx.rowsQuery(head, tail, cols, len(chunk)), len(chunk) == per, args)
		if err != nil {
			return inserted, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return inserted, err
		}
		inserted += n
	}
	return inserted, nil
}

// rowsQuery returns the statement of insertRows for n rows of cols values.
func (tx *Tx) rowsQuery(head, tail string, cols, n int) string {
	var b strings.Builder
	b.Grow(len(head) + len(tail) + n*cols*6)
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(tx.params(i*cols+1, cols))
		b.WriteByte(')')
	}
	if tail != "" { // no trailing space: the driver would take it for a second statement and not keep the first prepared
		b.WriteString(" ")
		b.WriteString(tail)
	}
	return b.String()
}

// execRows runs a statement of insertRows. On SQLite a full one (the most
// rows a statement takes) runs prepared if DB.prepared has it, and is
// queued to be prepared after the transaction (DB.prepareQueued) if not;
// others are parsed each time, as their texts vary with the batch.
// PostgreSQL's driver keeps every statement it runs prepared already.
func (tx *Tx) execRows(ctx context.Context, query string, full bool, args []any) (sql.Result, error) {
	if tx.db.dialect == SQLite && full {
		if stmt, ok := tx.db.stmts.Load(query); ok {
			return tx.StmtContext(ctx, stmt.(*sql.Stmt)).ExecContext(ctx, args...)
		}
		tx.db.toPrepare.Store(query, true)
	}
	return tx.ExecContext(ctx, query, args...)
}

// params returns the placeholders of n arguments numbered from "from" on,
// for the long lists of multi-row statements and IN lists, which must come
// last in their statement: "$from, …" on PostgreSQL, and "?, …" on SQLite,
// which looks each "$n" up in a list (quadratic in n) but numbers each "?"
// as one more than the highest before it.
func (tx *Tx) params(from, n int) string {
	if tx.db.dialect != SQLite || n == 0 {
		return placeholders(from, n)
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// timeOrderedAlphabet is base32 in byte order, within the characters of
// tandem IDs.
const timeOrderedAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// newTimeID returns an ID shaped like tandem.NewID's whose first ten
// characters are the time in milliseconds and the other sixteen random.
// IDs made one after the other sort together, so the rows written in bulk
// (conversions, customers, commissions, postings) append to their indexes
// instead of dirtying a random page of each per row.
func newTimeID(prefix string, now time.Time) string {
	random := tandem.NewID(prefix) // prefix_ and 26 random characters
	b := []byte(random)
	t := uint64(now.UnixMilli())
	for i := len(prefix) + 10; i > len(prefix); i-- {
		b[i] = timeOrderedAlphabet[t&31]
		t >>= 5
	}
	return string(b)
}
