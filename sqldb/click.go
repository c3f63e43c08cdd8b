package sqldb

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
)

// ClickStore records clicks and keeps their daily rollups.
type ClickStore struct {
	db      *DB
	windows windowCache
}

var _ clicks.Store = (*ClickStore)(nil)

// NewClickStore returns the click store of db.
func NewClickStore(db *DB) *ClickStore { return &ClickStore{db: db} }

// UniqueWindow is how long a visitor's clicks on a link count once.
const UniqueWindow = time.Hour

// VisitorSecret returns the secret that keys visitor hashes, creating it on
// first use. Every instance on the database reads the same one.
func (s *ClickStore) VisitorSecret(ctx context.Context) ([]byte, error) {
	var value string
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ('visitor', $1, $2) ON CONFLICT (name) DO NOTHING`,
			hex.EncodeToString([]byte(rand.Text()+rand.Text())), ms(tx.now)); err != nil {
			return fmt.Errorf("create visitor secret: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'visitor'`).Scan(&value); err != nil {
			return fmt.Errorf("read visitor secret: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(value)
}

// clickLink is what a click takes from its link.
type clickLink struct {
	programID, partnerID string
	loc                  *time.Location
	attributable         bool // the partner is approved in the program
}

type rollupKey struct{ linkID, day string }

type rollup struct{ clicks, unique, bots int64 }

// InsertClicks stores the clicks in one transaction and adds them to the
// daily rollups. A visitor's clicks on a link count once per UniqueWindow:
// a click is unique unless the visitor's last unique click on the link,
// stored before or earlier in the batch, is less than UniqueWindow before
// or after it (see uniqueClicks). Bot clicks are never unique nor
// attributable, nor are clicks on the links of partners who are not
// approved (a suspended partner's link redirects but earns nothing). A
// click without a time takes the transaction's.
//
// It costs a fixed handful of statements per batch on PostgreSQL, whatever
// its size: one read per link, multi-row inserts and one upsert per rollup
// row, plus, for visitors this process has not seen in the last hour, the
// visitor locks, one read of their windows and one upsert of those that
// move. SQLite runs in the process, where a statement costs no round trip
// but a parse: there the same work runs as statements prepared once (see
// clickStatements), one insert per click.
func (s *ClickStore) InsertClicks(ctx context.Context, cs []clicks.Click) error {
	var st *clickStatements
	if s.db.dialect == SQLite {
		var err error
		if st, err = s.statements(ctx); err != nil {
			return err
		}
	}
	var learned *clickWindows // what the transaction knows of its visitors' windows, once it commits
	var now time.Time
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		ctx := ctx
		if st != nil {
			// The transaction holds SQLite's write lock: a statement cannot
			// wait on anything, so they run without the driver's watch of
			// ctx (a goroutine each); BEGIN and the commit still honour it.
			ctx = context.WithoutCancel(ctx)
		}
		ct := &clickTx{Tx: tx, st: st}
		links := map[string]*clickLink{}
		for i := range cs {
			c := &cs[i]
			if c.At.IsZero() {
				c.At = tx.now
			}
			if links[c.LinkID] == nil {
				l, err := ct.clickLink(ctx, c.LinkID)
				if err != nil {
					return err
				}
				links[c.LinkID] = l
			}
		}
		unique, w, err := ct.uniqueClicks(ctx, cs, &s.windows)
		if err != nil {
			return err
		}
		learned, now = w, tx.now
		return ct.writeClicks(ctx, cs, links, unique, w)
	})
	if err == nil {
		s.windows.learn(learned, now)
	}
	return err
}

// The click writer's statements that are the same on both dialects.
const (
	// clickLinkQuery reads the link's program, its time zone and the
	// partner's status in it. Subqueries, not joins: with the joins SQLite
	// prepared the statement again at each run (some 40 µs per batch).
	clickLinkQuery = `
		SELECT l.program_id, l.partner_id,
			COALESCE((SELECT p.time_zone FROM programs p WHERE p.id = l.program_id), ''),
			COALESCE((SELECT m.status FROM memberships m WHERE m.program_id = l.program_id AND m.partner_id = l.partner_id), '')
		FROM links l WHERE l.id = $1`
)

// clickStatements are the click writer's statements on SQLite, prepared
// once (DB.prepared). The read of click windows takes several pairs; it is
// prepared for each of sqliteChunks.
type clickStatements struct {
	link, rollup, insert, saveWindow *sql.Stmt
	windows                          map[int]*sql.Stmt // by number of pairs
}

// sqliteChunks are the numbers of pairs SQLite's click window reads are
// prepared for. A batch is cut into the largest that fit (37 = 32 + 4 + 1),
// so that a few query texts stay prepared and no pair is looked up twice.
var sqliteChunks = []int{32, 16, 8, 4, 2, 1}

// sqliteChunk returns the pairs of the next query for n pairs to go.
func sqliteChunk(n int) int {
	for _, c := range sqliteChunks {
		if c <= n {
			return c
		}
	}
	return 1
}

func (s *ClickStore) statements(ctx context.Context) (*clickStatements, error) {
	st := clickStatements{windows: make(map[int]*sql.Stmt, len(sqliteChunks))}
	var errs []error
	prepare := func(query string) *sql.Stmt {
		stmt, err := s.db.prepared(ctx, query)
		errs = append(errs, err)
		return stmt
	}
	st.link, st.rollup, st.insert, st.saveWindow = prepare(clickLinkQuery), prepare(clickRollupUpsert), prepare(clickInsert), prepare(clickWindowUpsert)
	for _, n := range sqliteChunks {
		st.windows[n] = prepare(clickWindowsQuery(n))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("record clicks: %w", err)
	}
	return &st, nil
}

// clickTx is a transaction recording clicks, with the prepared statements
// on SQLite (st is nil on PostgreSQL).
type clickTx struct {
	*Tx
	st *clickStatements
}

// stmt returns the prepared statement in the transaction.
func (tx *clickTx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, s) }

// visitorLink is the pair whose clicks count once per UniqueWindow.
type visitorLink struct{ visitor, linkID string }

// clickWindows is what a batch learns of its pairs' windows: the time of
// each pair's last unique click (ms), and which of them the batch moves.
type clickWindows struct {
	at    map[visitorLink]int64
	moved map[visitorLink]bool
}

// uniqueClicks tells which clicks are unique: a non-bot click is unique
// unless its pair's last unique click (in click_windows, or earlier in the
// batch) is less than UniqueWindow before or after it. A unique click
// later than the pair's last one becomes the pair's last.
//
// A pair whose clicks all fall inside the window of a unique click this
// process already knows of (windowCache) is settled without a lookup: that
// click exists whatever other instances did since. The other pairs are
// read from click_windows. On PostgreSQL several instances may judge the
// same pair at once, so each transaction first takes a transaction-scoped
// advisory lock per pair it reads, in one global order (so two batches
// cannot deadlock): the second waits for the first to commit and then
// reads its click. SQLite has one writer at a time, so there the check is
// exact without locks.
func (tx *clickTx) uniqueClicks(ctx context.Context, cs []clicks.Click, known *windowCache) ([]bool, *clickWindows, error) {
	w := &clickWindows{at: map[visitorLink]int64{}, moved: map[visitorLink]bool{}}
	settled := known.settle(cs, w.at)
	var lookup []visitorLink
	for k, covered := range settled {
		if !covered {
			lookup = append(lookup, k)
			delete(w.at, k)
		}
	}
	if len(lookup) > 0 {
		if tx.db.dialect == Postgres {
			if err := tx.lockPairs(ctx, lookup); err != nil {
				return nil, nil, err
			}
		}
		if err := tx.readWindows(ctx, lookup, w.at); err != nil {
			return nil, nil, err
		}
	}
	unique := make([]bool, len(cs))
	for i, c := range cs {
		if c.Bot {
			continue
		}
		k, at := visitorLink{c.Visitor, c.LinkID}, ms(c.At)
		u, ok := w.at[k]
		if unique[i] = !ok || abs(at-u) >= UniqueWindow.Milliseconds(); unique[i] && (!ok || at > u) {
			w.at[k], w.moved[k] = at, true
		}
	}
	return unique, w, nil
}

func abs(n int64) int64 { return max(n, -n) }

// lockPairs takes the PostgreSQL advisory locks of the pairs (a 64-bit hash
// of each), in ascending order, until the transaction ends. A hash
// collision only makes two pairs wait for each other.
func (tx *clickTx) lockPairs(ctx context.Context, pairs []visitorLink) error {
	keys := make([]int64, 0, len(pairs))
	for _, k := range pairs {
		h := fnv.New64a()
		h.Write([]byte(k.visitor))
		h.Write([]byte{0})
		h.Write([]byte(k.linkID))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.Sort(keys)
	for chunk := range slices.Chunk(keys, 500) {
		var q strings.Builder
		args := make([]any, len(chunk))
		q.WriteString("SELECT ")
		for i, k := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "pg_advisory_xact_lock($%d)", i+1)
			args[i] = k
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("lock click visitors: %w", err)
		}
	}
	return nil
}

// readWindows adds the stored last unique click of each of the pairs that
// has one to at. One query looks up a chunk of pairs: up to 400 on
// PostgreSQL, one of sqliteChunks on SQLite.
func (tx *clickTx) readWindows(ctx context.Context, ks []visitorLink, at map[visitorLink]int64) error {
	for len(ks) > 0 {
		n := min(len(ks), 400)
		if tx.st != nil {
			n = sqliteChunk(len(ks))
		}
		args := make([]any, 0, 2*n)
		for _, k := range ks[:n] {
			args = append(args, k.visitor, k.linkID)
		}
		var rows *sql.Rows
		var err error
		if tx.st != nil {
			rows, err = tx.stmt(ctx, tx.st.windows[n]).QueryContext(ctx, args...)
		} else {
			rows, err = tx.QueryContext(ctx, clickWindowsQuery(n), args...)
		}
		if err != nil {
			return fmt.Errorf("click uniqueness: %w", err)
		}
		for rows.Next() {
			var k visitorLink
			var u int64
			if err := rows.Scan(&k.visitor, &k.linkID, &u); err != nil {
				rows.Close()
				return fmt.Errorf("click uniqueness: %w", err)
			}
			at[k] = u
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("click uniqueness: %w", err)
		}
		ks = ks[n:]
	}
	return nil
}

// clickWindowsQuery returns the read of n pairs' windows ($1 and $2, $3 and
// $4…) from click_windows' primary key.
func clickWindowsQuery(n int) string {
	var q strings.Builder
	q.WriteString("SELECT w.visitor, w.link_id, w.unique_at FROM click_windows w JOIN (VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "($%d, $%d)", 2*i+1, 2*i+2)
	}
	q.WriteString(") AS v ON w.visitor = v.column1 AND w.link_id = v.column2")
	return q.String()
}

// windowCache remembers, per visitor and link, the last unique click this
// process stored or read: a click less than UniqueWindow from it is not
// unique, whatever other instances did since, so it needs no lookup. It
// learns only from committed transactions and forgets windows that have
// passed once it holds windowCacheSize pairs.
type windowCache struct {
	mu sync.Mutex
	at map[visitorLink]int64
}

const windowCacheSize = 1 << 17

// settle tells, for each pair of the non-bot clicks, whether a window it
// remembers covers every click of the pair (true), and adds the windows it
// remembers of them to at.
func (c *windowCache) settle(cs []clicks.Click, at map[visitorLink]int64) map[visitorLink]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	settled := map[visitorLink]bool{}
	for _, click := range cs {
		k := visitorLink{click.Visitor, click.LinkID}
		if covered, seen := settled[k]; click.Bot || seen && !covered {
			continue
		}
		u, ok := c.at[k]
		settled[k] = ok && abs(ms(click.At)-u) < UniqueWindow.Milliseconds()
		if ok {
			at[k] = u
		}
	}
	return settled
}

// learn adds what a committed batch read and wrote. now is the batch's
// time, against which passed windows are forgotten.
func (c *windowCache) learn(w *clickWindows, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil || len(c.at)+len(w.at) > windowCacheSize {
		passed := ms(now) - UniqueWindow.Milliseconds()
		for k, u := range c.at {
			if u <= passed {
				delete(c.at, k)
			}
		}
		if c.at == nil || len(c.at)+len(w.at) > windowCacheSize {
			c.at = make(map[visitorLink]int64, windowCacheSize)
		}
	}
	for k, u := range w.at {
		if u > c.at[k] {
			c.at[k] = u
		}
	}
}

// PurgeClickWindows deletes the windows that have passed: clicks after
// them are unique whatever they held. The hourly cleanup job calls it.
func (s *ClickStore) PurgeClickWindows(ctx context.Context) (int, error) {
	var n int64
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM click_windows WHERE unique_at <= $1`, ms(tx.now.Add(-UniqueWindow)))
		if err != nil {
			return fmt.Errorf("purge click windows: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// clickColumns are the columns of a click row that writeClicks fills.
const clickColumns = `id, link_id, program_id, partner_id, occurred_at, visitor, user_agent, referrer, landing_url, bot, is_unique, attributable`

// The one-row statements SQLite's writer prepares (clickStatements).
const (
	clickInsert       = `INSERT INTO clicks (` + clickColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	clickWindowUpsert = `INSERT INTO click_windows (visitor, link_id, unique_at) VALUES ($1, $2, $3)
		ON CONFLICT (visitor, link_id) DO UPDATE SET unique_at = excluded.unique_at`
	clickRollupUpsert = `INSERT INTO click_rollups (link_id, day, clicks, unique_clicks, bot_clicks) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (link_id, day) DO UPDATE SET clicks = click_rollups.clicks + excluded.clicks,
		unique_clicks = click_rollups.unique_clicks + excluded.unique_clicks,
		bot_clicks = click_rollups.bot_clicks + excluded.bot_clicks`
)

// clickWritePostgres writes a whole batch on PostgreSQL: its clicks, the
// windows it moved and what it adds to the rollups, each column passed as
// one array. Its text never changes, so pgx prepares it once per
// connection, and PostgreSQL plans it once, whatever the batch's size.
const clickWritePostgres = `
	WITH inserted AS (
		INSERT INTO clicks (` + clickColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::boolean[], $11::boolean[], $12::boolean[])
	), windows AS (
		INSERT INTO click_windows (visitor, link_id, unique_at)
		SELECT * FROM unnest($13::text[], $14::text[], $15::bigint[])
		ON CONFLICT (visitor, link_id) DO UPDATE SET unique_at = excluded.unique_at
	)
	INSERT INTO click_rollups (link_id, day, clicks, unique_clicks, bot_clicks)
	SELECT * FROM unnest($16::text[], $17::text[], $18::bigint[], $19::bigint[], $20::bigint[])
	ON CONFLICT (link_id, day) DO UPDATE SET clicks = click_rollups.clicks + excluded.clicks,
		unique_clicks = click_rollups.unique_clicks + excluded.unique_clicks,
		bot_clicks = click_rollups.bot_clicks + excluded.bot_clicks`

// clickValues returns the values of a click's row, in clickColumns' order.
func clickValues(c clicks.Click, l *clickLink, unique bool) (id, linkID, programID, partnerID string, at int64, visitor, ua, referrer, landing string, bot, isUnique, attributable bool) {
	return c.ID, c.LinkID, l.programID, l.partnerID, ms(c.At), c.Visitor,
		clicks.Truncate(c.UserAgent, clicks.MaxUserAgent), clicks.Truncate(c.Referrer, clicks.MaxReferrer),
		clicks.Truncate(c.LandingURL, clicks.MaxLanding), c.Bot, unique, l.attributable && !c.Bot
}

// writeClicks stores the batch: its clicks, the windows it moved (w) and
// what it adds to the rollups, these in key order, so that concurrent
// batches (other instances) lock the rows in one order. On PostgreSQL that
// is one statement (clickWritePostgres). On SQLite, which runs in the
// process, prepared one-row statements run once per row: a multi-row
// INSERT costs more there, as SQLite then keeps a statement journal to undo
// a half-done statement, and looks up each numbered parameter by a linear
// scan.
func (tx *clickTx) writeClicks(ctx context.Context, cs []clicks.Click, links map[string]*clickLink, unique []bool, w *clickWindows) error {
	rollups := clickRollups(cs, links, unique)
	if tx.st == nil {
		return tx.writeClicksPostgres(ctx, cs, links, unique, w, rollups)
	}
	insert := tx.stmt(ctx, tx.st.insert)
	for i, c := range cs {
		if _, err := insert.ExecContext(ctx, clickArgs(clickValues(c, links[c.LinkID], unique[i]))...); err != nil {
			return fmt.Errorf("insert clicks: %w", err)
		}
	}
	window := tx.stmt(ctx, tx.st.saveWindow)
	for k := range w.moved {
		if _, err := window.ExecContext(ctx, k.visitor, k.linkID, w.at[k]); err != nil {
			return fmt.Errorf("save click windows: %w", err)
		}
	}
	rollup := tx.stmt(ctx, tx.st.rollup)
	for _, r := range rollups {
		if _, err := rollup.ExecContext(ctx, r.linkID, r.day, r.clicks, r.unique, r.bots); err != nil {
			return fmt.Errorf("update click rollup: %w", err)
		}
	}
	return nil
}

// clickArgs returns a click row's values as statement arguments.
func clickArgs(id, linkID, programID, partnerID string, at int64, visitor, ua, referrer, landing string, bot, isUnique, attributable bool) []any {
	return []any{id, linkID, programID, partnerID, at, visitor, ua, referrer, landing, bot, isUnique, attributable}
}

func (tx *clickTx) writeClicksPostgres(ctx context.Context, cs []clicks.Click, links map[string]*clickLink, unique []bool, w *clickWindows, rollups []rollupRow) error {
	n := len(cs)
	var (
		ids, linkIDs, programIDs, partnerIDs = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ats                                  = make([]int64, n)
		visitors, uas, referrers, landings   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		bots, uniques, attributables         = make([]bool, n), make([]bool, n), make([]bool, n)
	)
	for i, c := range cs {
		ids[i], linkIDs[i], programIDs[i], partnerIDs[i], ats[i], visitors[i], uas[i], referrers[i], landings[i],
			bots[i], uniques[i], attributables[i] = clickValues(c, links[c.LinkID], unique[i])
	}
	var wVisitors, wLinks []string
	var wAts []int64
	for k := range w.moved {
		wVisitors, wLinks, wAts = append(wVisitors, k.visitor), append(wLinks, k.linkID), append(wAts, w.at[k])
	}
	var rLinks, rDays []string
	var rClicks, rUnique, rBots []int64
	for _, r := range rollups {
		rLinks, rDays = append(rLinks, r.linkID), append(rDays, r.day)
		rClicks, rUnique, rBots = append(rClicks, r.clicks), append(rUnique, r.unique), append(rBots, r.bots)
	}
	_, err := tx.ExecContext(ctx, clickWritePostgres, ids, linkIDs, programIDs, partnerIDs, ats, visitors, uas, referrers, landings,
		bots, uniques, attributables, wVisitors, wLinks, wAts, rLinks, rDays, rClicks, rUnique, rBots)
	if err != nil {
		return fmt.Errorf("insert clicks: %w", err)
	}
	return nil
}

// rollupRow is what a batch adds to one rollup row.
type rollupRow struct {
	rollupKey
	rollup
}

// clickRollups returns what the clicks add to their links' daily rollups,
// in key order, so that concurrent batches (other instances) lock the rows
// in one order.
func clickRollups(cs []clicks.Click, links map[string]*clickLink, unique []bool) []rollupRow {
	sums := map[rollupKey]*rollup{}
	for i, c := range cs {
		key := rollupKey{c.LinkID, c.At.In(links[c.LinkID].loc).Format(time.DateOnly)}
		r := sums[key]
		if r == nil {
			r = &rollup{}
			sums[key] = r
		}
		switch {
		case c.Bot:
			r.bots++
		case unique[i]:
			r.clicks++
			r.unique++
		default:
			r.clicks++
		}
	}
	rows := make([]rollupRow, 0, len(sums))
	for k, r := range sums {
		rows = append(rows, rollupRow{k, *r})
	}
	slices.SortFunc(rows, func(a, b rollupRow) int {
		return cmp.Or(strings.Compare(a.linkID, b.linkID), strings.Compare(a.day, b.day))
	})
	return rows
}

// clickLink reads the link's program, its time zone and whether the
// partner is approved in the program.
func (tx *clickTx) clickLink(ctx context.Context, linkID string) (*clickLink, error) {
	var l clickLink
	var tz, status string
	var row *sql.Row
	if tx.st != nil {
		row = tx.stmt(ctx, tx.st.link).QueryRowContext(ctx, linkID)
	} else {
		row = tx.QueryRowContext(ctx, clickLinkQuery, linkID)
	}
	err := row.Scan(&l.programID, &l.partnerID, &tz, &status)
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find click link: %w", err)
	}
	l.loc = location(tz)
	l.attributable = tandem.MembershipStatus(status) == tandem.MembershipApproved
	return &l, nil
}

// zones caches time.LoadLocation, which reads the zone database each call.
var zones sync.Map // name -> *time.Location

// location returns the named time zone, or UTC if it is unknown.
func location(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(name, loc)
	return loc
}

// linkStats fills in the links' click counts (unique, bots excluded) from
// the rollups.
func linkStats(ctx context.Context, tx *Tx, ls []*tandem.Link) error {
	if len(ls) == 0 {
		return nil
	}
	byID := make(map[string]*tandem.Link, len(ls))
	args := make([]any, 0, len(ls))
	in := ""
	for i, l := range ls {
		byID[l.ID] = l
		args = append(args, l.ID)
		if i > 0 {
			in += ", "
		}
		in += fmt.Sprintf("$%d", i+1)
	}
	for _, q := range []struct {
		query string
		count func(l *tandem.Link) *int64
	}{
		{`SELECT link_id, CAST(SUM(unique_clicks) AS BIGINT) FROM click_rollups WHERE link_id IN (` + in + `) GROUP BY link_id`,
			func(l *tandem.Link) *int64 { return &l.Stats.Clicks }},
		{`SELECT link_id, COUNT(*) FROM referrals WHERE link_id IN (` + in + `) GROUP BY link_id`,
			func(l *tandem.Link) *int64 { return &l.Stats.Referrals }},
	} {
		counts, err := queryCounts(ctx, tx, q.query, args...)
		if err != nil {
			return fmt.Errorf("link stats: %w", err)
		}
		for id, n := range counts {
			*q.count(byID[id]) = n
		}
	}
	return nil
}

// queryCounts runs a query of (id, count) rows and returns them as a map.
func queryCounts(ctx context.Context, tx *Tx, query string, args ...any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
