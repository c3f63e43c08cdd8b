package sqldb

import (
	"context"
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
// than len(rows) when the tail skipped some.
func (tx *Tx) insertRows(ctx context.Context, head, tail string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	cols := len(rows[0])
	per := max(1, min(500, maxRowParams/cols))
	var inserted int64
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.Grow(len(head) + len(tail) + len(chunk)*cols*6)
		b.WriteString(head)
		b.WriteString(" VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			b.WriteString(tx.params(len(args)+1, cols))
			b.WriteByte(')')
			args = append(args, row...)
		}
		b.WriteString(" ")
		b.WriteString(tail)
		res, err := tx.ExecContext(ctx, b.String(), args...)
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
