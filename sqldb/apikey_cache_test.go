package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// TestAPIKeyCacheRevocation: an authenticated key is trusted for at most
// sqldb.APIKeyTTL. A key revoked by another instance (a direct write here)
// stops working within that time; one revoked through this instance stops
// at once.
func TestAPIKeyCacheRevocation(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		accounts := sqldb.NewAccountService(db)
		owner, err := accounts.CreateOwner(ctx, "owner@example.com", "Owner", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		elsewhere, secret, err := accounts.CreateAPIKey(ctx, owner.ID, "elsewhere", tandem.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		here, hereSecret, err := accounts.CreateAPIKey(ctx, owner.ID, "here", tandem.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{secret, hereSecret} {
			if _, err := accounts.AuthenticateAPIKey(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		resExec(t, db, `UPDATE api_keys SET revoked_at = 1 WHERE id = $1`, elsewhere.ID)
		now = now.Add(sqldb.APIKeyTTL - time.Millisecond)
		if key, err := accounts.AuthenticateAPIKey(ctx, secret); err != nil || key.ID != elsewhere.ID {
			t.Fatalf("within the TTL the cached key answers: %v, %v", key, err)
		}
		now = now.Add(time.Millisecond)
		if _, err := accounts.AuthenticateAPIKey(ctx, secret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("key revoked elsewhere, after the TTL: %v; want unauthorized", err)
		}
		if err := accounts.RevokeAPIKey(ctx, here.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.AuthenticateAPIKey(ctx, hereSecret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("key revoked here: %v; want unauthorized at once", err)
		}
	})
}
