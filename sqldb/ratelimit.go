package sqldb

import (
	"context"
	"time"

	"github.com/tandem-prm/tandem"
)

// RateLimiter counts attempts in fixed windows in the database, so that
// every instance sees the same counts.
type RateLimiter struct{ db *DB }

var _ tandem.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a rate limiter on db.
func NewRateLimiter(db *DB) *RateLimiter { return &RateLimiter{db: db} }

// Allow records one attempt for key and reports whether it is within limit
// per window. One upsert does it, so concurrent attempts are counted exactly.
func (l *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	var count int
	var start time.Time
	var now time.Time
	err := l.db.inWriteTx(ctx, func(tx *Tx) error {
		now = tx.now
		return tx.QueryRowContext(ctx, `
			INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1)
			ON CONFLICT (bucket) DO UPDATE SET
				count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END,
				window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
			RETURNING count, window_start`, key, ms(now), ms(now.Add(-window))).Scan(&count, timeCol(&start))
	})
	if err != nil {
		return false, 0, err
	}
	if count <= limit {
		return true, 0, nil
	}
	return false, start.Add(window).Sub(now), nil
}
