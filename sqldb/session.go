package sqldb

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/tandem-prm/tandem/credential"
)

// SessionStore keeps web sessions (scs) in the database, so that every
// instance shares them. Only a hash of the session token is stored.
type SessionStore struct{ db *DB }

var _ scs.CtxStore = (*SessionStore)(nil)

// NewSessionStore returns the session store of db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// FindCtx returns the data of a live session.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
			credential.HashToken(token), ms(tx.now)).Scan(&data)
	})
	if isNoRows(err) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// CommitCtx stores a session's data until its expiry.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (token_hash, data, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			credential.HashToken(token), data, ms(expiry))
		return err
	})
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, credential.HashToken(token))
		return err
	})
}

// Find implements scs.Store; scs calls the Ctx variants.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// Delete implements scs.Store.
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }
