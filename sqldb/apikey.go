package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/credential"
)

// apiKeyPrefix starts every API key secret, so leaked keys are recognisable
// (and findable by secret scanners).
const apiKeyPrefix = "tdk_"

// CreateAPIKey creates a key and returns its secret, shown only this once.
func (s *AccountService) CreateAPIKey(ctx context.Context, creatorID, name string, scope tandem.APIScope) (*tandem.APIKey, string, error) {
	if err := tandem.RequireText("name", "Name", &name, 100); err != nil {
		return nil, "", err
	}
	if scope != tandem.ScopeRead && scope != tandem.ScopeWrite {
		return nil, "", tandem.Invalidf("scope", "Scope must be read or write.")
	}
	token, _ := credential.NewToken()
	secret := apiKeyPrefix + token
	key := &tandem.APIKey{ID: tandem.NewID(tandem.PrefixAPIKey), Name: name, Prefix: secret[:12], Scope: scope, CreatedBy: creatorID}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		key.CreatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO api_keys (id, name, prefix, secret_hash, scope, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			key.ID, key.Name, key.Prefix, credential.HashToken(secret), key.Scope, key.CreatedBy, ms(key.CreatedAt)); err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return tx.audit(ctx, "api_key.create", key.ID, map[string]any{"name": name, "scope": scope, "prefix": key.Prefix})
	})
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}

const apiKeyColumns = `id, name, prefix, scope, created_by, created_at, last_used_at, revoked_at`

func scanAPIKey(scan func(...any) error) (*tandem.APIKey, error) {
	var k tandem.APIKey
	err := scan(&k.ID, &k.Name, &k.Prefix, &k.Scope, &k.CreatedBy, timeCol(&k.CreatedAt), timeCol(&k.LastUsedAt), timeCol(&k.RevokedAt))
	return &k, err
}

// FindAPIKeys returns every key, newest first, revoked ones included.
func (s *AccountService) FindAPIKeys(ctx context.Context) ([]*tandem.APIKey, error) {
	var keys []*tandem.APIKey
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at DESC, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanAPIKey(rows.Scan)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}

// RevokeAPIKey revokes a key; it stops working at once.
func (s *AccountService) RevokeAPIKey(ctx context.Context, id string) error {
	defer s.db.apiKeys.clear()
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ms(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "No active API key has this ID.")
		}
		return tx.audit(ctx, "api_key.revoke", id, nil)
	})
}

var errBadAPIKey = tandem.Errorf(tandem.EUNAUTHORIZED, "The API key is missing, unknown or revoked.")

// AuthenticateAPIKey returns the live key a secret belongs to. Its last use
// is recorded at most once a minute, to keep API reads free of writes. A
// key is read again at most every APIKeyTTL.
func (s *AccountService) AuthenticateAPIKey(ctx context.Context, secret string) (*tandem.APIKey, error) {
	if len(secret) < len(apiKeyPrefix)+40 || secret[:len(apiKeyPrefix)] != apiKeyPrefix {
		return nil, errBadAPIKey
	}
	hash := credential.HashToken(secret)
	if key, ok := s.db.apiKeys.get(hash, s.db.Now()); ok {
		return key, nil
	}
	var key *tandem.APIKey
	var creator struct {
		role   tandem.Role
		status tandem.UserStatus
	}
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		key, err = scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
			hash).Scan)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT role, status FROM users WHERE id = $1`, key.CreatedBy).Scan(&creator.role, &creator.status)
	})
	if isNoRows(err) {
		return nil, errBadAPIKey
	} else if err != nil {
		return nil, err
	}
	// A key acts for the user who made it: it stops working when that user
	// is disabled or no longer may manage keys (someone who leaves keeps no
	// access through the API).
	if creator.status != tandem.UserActive || !creator.role.Can(tandem.PermManageAPIKeys) {
		return nil, errBadAPIKey
	}
	if now := s.db.Now(); now.Sub(key.LastUsedAt) > time.Minute {
		err = s.db.inWriteTx(ctx, func(tx *Tx) error {
			key.LastUsedAt = tx.now
			_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, ms(tx.now), key.ID)
			return err
		})
	}
	if err == nil {
		s.db.apiKeys.put(hash, key, s.db.Now())
	}
	return key, err
}
