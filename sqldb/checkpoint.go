package sqldb

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointInterval is how often the checkpointer copies what the writer
// committed from SQLite's WAL into the database file.
const checkpointInterval = 500 * time.Millisecond

// checkpointer runs SQLite's WAL checkpoints on a connection of its own,
// every checkpointInterval while the writer commits. A checkpoint run by
// the writer itself (wal_autocheckpoint) runs inside a commit, while every
// other write waits: under bulk recording it was 8% of the server's CPU,
// all of it in that one serialised section. A PASSIVE checkpoint neither
// waits for nor blocks the writer and the readers; the writer's automatic
// checkpoint stays as the backstop for a WAL that outgrows it (readers
// holding old snapshots, say).
type checkpointer struct {
	conn   *sql.DB
	logger *slog.Logger
	dirty  atomic.Bool   // the writer committed since the last checkpoint
	stop   chan struct{} // closed by close
	done   chan struct{} // closed when run returns
	closed sync.Once
}

func newCheckpointer(conn *sql.DB, logger *slog.Logger) *checkpointer {
	c := &checkpointer{conn: conn, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer that the writer committed.
func (c *checkpointer) committed() { c.dirty.Store(true) }

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			if !c.dirty.Swap(false) {
				continue
			}
			if _, err := c.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				c.logger.Warn("WAL checkpoint failed; the writer's own checkpoints go on", "err", err)
			}
		}
	}
}

// close stops the checkpointer and closes its connection; DB.Close may
// call it more than once.
func (c *checkpointer) close() error {
	c.closed.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
