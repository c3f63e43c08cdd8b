package sqldb

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
)

// ClickStore records clicks and keeps their daily rollups.
type ClickStore struct{ db *DB }

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
// daily rollups. A click is unique unless the same visitor clicked the same
// link in the hour before it (earlier clicks of the batch included); bot
// clicks are never unique nor attributable, nor are clicks on the links of
// partners who are not approved (a suspended partner's link redirects but
// earns nothing). A click without a time takes the transaction's.
func (s *ClickStore) InsertClicks(ctx context.Context, cs []clicks.Click) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		links := map[string]*clickLink{}
		rollups := map[rollupKey]*rollup{}
		var keys []rollupKey
		for i := range cs {
			c := &cs[i]
			if c.At.IsZero() {
				c.At = tx.now
			}
			l := links[c.LinkID]
			if l == nil {
				var err error
				if l, err = tx.clickLink(ctx, c.LinkID); err != nil {
					return err
				}
				links[c.LinkID] = l
			}
			unique := false
			if !c.Bot {
				var n int
				if err := tx.QueryRowContext(ctx, `
					SELECT COUNT(*) FROM clicks
					WHERE visitor = $1 AND link_id = $2 AND occurred_at > $3 AND occurred_at <= $4 AND NOT bot`,
					c.Visitor, c.LinkID, ms(c.At.Add(-UniqueWindow)), ms(c.At)).Scan(&n); err != nil {
					return fmt.Errorf("click uniqueness: %w", err)
				}
				unique = n == 0
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO clicks (id, link_id, program_id, partner_id, occurred_at, visitor, user_agent, referrer,
					landing_url, bot, is_unique, attributable)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				c.ID, c.LinkID, l.programID, l.partnerID, ms(c.At), c.Visitor,
				clicks.Truncate(c.UserAgent, clicks.MaxUserAgent), clicks.Truncate(c.Referrer, clicks.MaxReferrer),
				clicks.Truncate(c.LandingURL, clicks.MaxLanding), c.Bot, unique, l.attributable && !c.Bot); err != nil {
				return fmt.Errorf("insert click: %w", err)
			}
			key := rollupKey{c.LinkID, c.At.In(l.loc).Format(time.DateOnly)}
			r := rollups[key]
			if r == nil {
				r = &rollup{}
				rollups[key] = r
				keys = append(keys, key)
			}
			switch {
			case c.Bot:
				r.bots++
			case unique:
				r.clicks++
				r.unique++
			default:
				r.clicks++
			}
		}
		// In key order, so that concurrent batches (other instances) lock rows in one order.
		slices.SortFunc(keys, func(a, b rollupKey) int {
			return cmp.Or(strings.Compare(a.linkID, b.linkID), strings.Compare(a.day, b.day))
		})
		for _, key := range keys {
			r := rollups[key]
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO click_rollups (link_id, day, clicks, unique_clicks, bot_clicks) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (link_id, day) DO UPDATE SET clicks = click_rollups.clicks + excluded.clicks,
					unique_clicks = click_rollups.unique_clicks + excluded.unique_clicks,
					bot_clicks = click_rollups.bot_clicks + excluded.bot_clicks`,
				key.linkID, key.day, r.clicks, r.unique, r.bots); err != nil {
				return fmt.Errorf("update click rollup: %w", err)
			}
		}
		return nil
	})
}

// clickLink reads the link's program, its time zone and whether the
// partner is approved in the program.
func (tx *Tx) clickLink(ctx context.Context, linkID string) (*clickLink, error) {
	var l clickLink
	var tz, status string
	err := tx.QueryRowContext(ctx, `
		SELECT l.program_id, l.partner_id, p.time_zone, COALESCE(m.status, '')
		FROM links l JOIN programs p ON p.id = l.program_id
		LEFT JOIN memberships m ON m.program_id = l.program_id AND m.partner_id = l.partner_id
		WHERE l.id = $1`, linkID).Scan(&l.programID, &l.partnerID, &tz, &status)
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find click link: %w", err)
	}
	if l.loc, err = time.LoadLocation(tz); err != nil {
		l.loc = time.UTC
	}
	l.attributable = tandem.MembershipStatus(status) == tandem.MembershipApproved
	return &l, nil
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
