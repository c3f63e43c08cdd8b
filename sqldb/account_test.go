package sqldb_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func countEmails(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM emails`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSetupInviteAndRoles(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewAccountService(db)
		if has, err := s.HasOwner(ctx); err != nil || has {
			t.Fatalf("HasOwner on a new database = %v, %v", has, err)
		}
		token, err := s.CreateSetupLink(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CheckLink(ctx, token, tandem.LinkSetup); err != nil {
			t.Fatalf("CheckLink = %v", err)
		}
		if _, err := s.CompleteSetup(ctx, token, "owner@example.com", "Olivia Owner", "short"); tandem.ErrorField(err) != "password" {
			t.Fatalf("short password: %v", err)
		}
		owner, err := s.CompleteSetup(ctx, token, "Owner@Example.com", "Olivia Owner", "a long enough password")
		if err != nil || owner.Role != tandem.RoleOwner || owner.Email != "owner@example.com" {
			t.Fatalf("CompleteSetup = %+v, %v", owner, err)
		}
		if _, err := s.CompleteSetup(ctx, token, "x@example.com", "X", "a long enough password"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("setup link reused: %v; want invalid", err)
		}
		second, _ := s.CreateSetupLink(ctx)
		if _, err := s.CompleteSetup(ctx, second, "x@example.com", "X", "a long enough password"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("second setup with an owner: %v; want conflict", err)
		}

		// Invitations: who may invite whom.
		manager, err := s.InviteUser(ctx, owner.ID, "mia@example.com", tandem.RoleManager)
		if err != nil || manager.Status != tandem.UserInvited {
			t.Fatalf("invite = %+v, %v", manager, err)
		}
		invite := sqldbtest.LastLink(t, db, "mia@example.com", "user_invite")
		if invite == "" {
			t.Fatal("no invitation email queued")
		}
		if _, err := s.SignInWithPassword(ctx, tandem.PrincipalUser, "mia@example.com", ""); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("invited user signs in: %v", err)
		}
		mia, err := s.AcceptInvite(ctx, invite, "Mia Manager", "mias own password")
		if err != nil || mia.Status != tandem.UserActive || mia.Name != "Mia Manager" || !mia.HasPassword {
			t.Fatalf("AcceptInvite = %+v, %v", mia, err)
		}
		if _, err := s.AcceptInvite(ctx, invite, "Mia", "mias own password"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("invitation reused: %v", err)
		}
		if _, err := s.InviteUser(ctx, mia.ID, "fin@example.com", tandem.RoleFinance); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("manager invites: %v; want forbidden", err)
		}
		if _, err := s.InviteUser(ctx, owner.ID, "mia@example.com", tandem.RoleFinance); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("invite an existing user: %v; want conflict", err)
		}
		admin, err := s.InviteUser(ctx, owner.ID, "ada@example.com", tandem.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvite(ctx, sqldbtest.LastLink(t, db, "ada@example.com", "user_invite"), "Ada Admin", "adas own password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.InviteUser(ctx, admin.ID, "o2@example.com", tandem.RoleOwner); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("admin invites an owner: %v; want forbidden", err)
		}
		if _, err := s.SetUserRole(ctx, admin.ID, owner.ID, tandem.RoleReadOnly); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("admin demotes the owner: %v; want forbidden", err)
		}
		if _, err := s.SetUserRole(ctx, owner.ID, owner.ID, tandem.RoleAdmin); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("last owner steps down: %v; want invalid", err)
		}
		if u, err := s.SetUserRole(ctx, admin.ID, mia.ID, tandem.RoleFinance); err != nil || u.Role != tandem.RoleFinance {
			t.Errorf("admin makes manager finance: %+v, %v", u, err)
		}

		// Disabling ends sessions and refuses sign-in.
		p, err := s.SignInWithPassword(ctx, tandem.PrincipalUser, "mia@example.com", "mias own password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetUserStatus(ctx, admin.ID, mia.ID, tandem.UserDisabled); err != nil {
			t.Fatal(err)
		}
		if err := s.ValidatePrincipal(ctx, p); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("disabled user's session still valid: %v", err)
		}
		if _, err := s.SignInWithPassword(ctx, tandem.PrincipalUser, "mia@example.com", "mias own password"); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("disabled user signs in: %v", err)
		}
		if _, err := s.SetUserStatus(ctx, owner.ID, owner.ID, tandem.UserDisabled); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("owner disables self: %v", err)
		}
		users, err := s.FindUsers(ctx)
		if err != nil || len(users) != 3 || users[0].ID != owner.ID {
			t.Errorf("users = %d, %v; want 3, owner first", len(users), err)
		}
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		s := sqldb.NewAccountService(db)
		owner, err := s.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
		if err != nil {
			t.Fatal(err)
		}
		partner := &tandem.Partner{Name: "Kari", Email: "kari@example.com"}
		if err := sqldb.NewPartnerService(db).CreatePartner(ctx, partner); err != nil {
			t.Fatal(err)
		}
		pu, err := s.CreatePartnerUser(ctx, partner.ID, "kari@example.com", "Kari")
		if err != nil {
			t.Fatal(err)
		}

		// Wrong password and unknown email: the same answer.
		_, wrong := s.SignInWithPassword(ctx, tandem.PrincipalUser, "owner@example.com", "not the password")
		_, unknown := s.SignInWithPassword(ctx, tandem.PrincipalUser, "nobody@example.com", "not the password")
		if tandem.ErrorCode(wrong) != tandem.EUNAUTHORIZED || tandem.ErrorMessage(wrong) != tandem.ErrorMessage(unknown) || tandem.ErrorCode(unknown) != tandem.EUNAUTHORIZED {
			t.Errorf("wrong password %v and unknown email %v differ", wrong, unknown)
		}
		// A partner user is not a business user, and has no password yet.
		if _, err := s.SignInWithPassword(ctx, tandem.PrincipalUser, "kari@example.com", "x"); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("partner email as user: %v", err)
		}

		// Magic links: only for accounts that exist, once, for 15 minutes.
		before := countEmails(t, db)
		if err := s.SendSignInLink(ctx, tandem.PrincipalPartner, "nobody@example.com"); err != nil {
			t.Fatal(err)
		}
		if countEmails(t, db) != before {
			t.Error("a sign-in email was queued for an unknown address")
		}
		if err := s.SendSignInLink(ctx, tandem.PrincipalPartner, "KARI@example.com"); err != nil {
			t.Fatal(err)
		}
		link := sqldbtest.LastLink(t, db, "kari@example.com", "magic_link")
		p, err := s.UseSignInLink(ctx, link)
		if err != nil || p.Kind != tandem.PrincipalPartner || p.ID != pu.ID {
			t.Fatalf("UseSignInLink = %+v, %v", p, err)
		}
		if _, err := s.UseSignInLink(ctx, link); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("magic link reused: %v", err)
		}
		if err := s.SendSignInLink(ctx, tandem.PrincipalPartner, "kari@example.com"); err != nil {
			t.Fatal(err)
		}
		stale := sqldbtest.LastLink(t, db, "kari@example.com", "magic_link")
		now = now.Add(16 * time.Minute)
		if _, err := s.UseSignInLink(ctx, stale); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("expired magic link: %v", err)
		}

		// A partner sets a password, then signs in with it; the change ends other sessions.
		if err := s.ValidatePrincipal(ctx, p); err != nil {
			t.Fatal(err)
		}
		p2, err := s.SetPassword(ctx, p, "", "karis new password")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ValidatePrincipal(ctx, p); err == nil {
			t.Error("old session survives a password change")
		}
		if err := s.ValidatePrincipal(ctx, p2); err != nil {
			t.Errorf("current session ends with the password change: %v", err)
		}
		if _, err := s.SetPassword(ctx, p2, "wrong", "another new password"); tandem.ErrorField(err) != "current_password" {
			t.Errorf("wrong current password: %v", err)
		}
		if got, err := s.SignInWithPassword(ctx, tandem.PrincipalPartner, "kari@example.com", "karis new password"); err != nil || got.ID != pu.ID {
			t.Errorf("partner password sign-in = %+v, %v", got, err)
		}

		// Reset by email, and sign out everywhere.
		op, _ := s.SignInWithPassword(ctx, tandem.PrincipalUser, "owner@example.com", "the owners password")
		if err := s.SendPasswordReset(ctx, tandem.PrincipalUser, "owner@example.com"); err != nil {
			t.Fatal(err)
		}
		reset := sqldbtest.LastLink(t, db, "owner@example.com", "password_reset")
		if _, err := s.ResetPassword(ctx, reset, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if err := s.ValidatePrincipal(ctx, op); err == nil {
			t.Error("session survives a password reset")
		}
		op, err = s.SignInWithPassword(ctx, tandem.PrincipalUser, "owner@example.com", "a brand new password")
		if err != nil || op.ID != owner.ID {
			t.Fatal(err)
		}
		if err := s.SignOutEverywhere(ctx, op); err != nil {
			t.Fatal(err)
		}
		if err := s.ValidatePrincipal(ctx, op); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("session survives sign out everywhere: %v", err)
		}
	})
}

// Of many concurrent uses of one magic link, exactly one signs in.
func TestLinkIsUsedOnce(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewAccountService(db)
		if _, err := s.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password"); err != nil {
			t.Fatal(err)
		}
		if err := s.SendSignInLink(ctx, tandem.PrincipalUser, "owner@example.com"); err != nil {
			t.Fatal(err)
		}
		link := sqldbtest.LastLink(t, db, "owner@example.com", "magic_link")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 20 {
			wg.Go(func() {
				if _, err := s.UseSignInLink(ctx, link); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("concurrent use: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Errorf("%d of 20 concurrent uses signed in; want 1", ok)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewAccountService(db)
		owner, err := s.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
		if err != nil {
			t.Fatal(err)
		}
		key, secret, err := s.CreateAPIKey(ctx, owner.ID, "Checkout", tandem.ScopeRead)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, key.Prefix) || !strings.HasPrefix(secret, "tdk_") || len(secret) < 40 {
			t.Errorf("secret %q does not start with prefix %q", secret, key.Prefix)
		}
		got, err := s.AuthenticateAPIKey(ctx, secret)
		if err != nil || got.ID != key.ID || got.Scope != tandem.ScopeRead || got.LastUsedAt.IsZero() {
			t.Fatalf("AuthenticateAPIKey = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "tdk_short", secret + "x", strings.Replace(secret, "tdk_", "xyz_", 1)} {
			if _, err := s.AuthenticateAPIKey(ctx, bad); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
				t.Errorf("AuthenticateAPIKey(%q) = %v", bad, err)
			}
		}
		if _, _, err := s.CreateAPIKey(ctx, owner.ID, "Bad", "admin"); tandem.ErrorField(err) != "scope" {
			t.Errorf("bad scope: %v", err)
		}
		// A key stops working when its creator leaves or may no longer manage keys.
		admin, err := s.InviteUser(ctx, owner.ID, "ada@example.com", tandem.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvite(ctx, sqldbtest.LastLink(t, db, "ada@example.com", "user_invite"), "Ada", "adas own password"); err != nil {
			t.Fatal(err)
		}
		_, adminSecret, _ := s.CreateAPIKey(ctx, admin.ID, "Ada's script", tandem.ScopeWrite)
		if _, err := s.AuthenticateAPIKey(ctx, adminSecret); err != nil {
			t.Fatalf("admin's key: %v", err)
		}
		if _, err := s.SetUserRole(ctx, owner.ID, admin.ID, tandem.RoleManager); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, adminSecret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("key of a user demoted to manager: %v; want unauthorized", err)
		}
		if _, err := s.SetUserRole(ctx, owner.ID, admin.ID, tandem.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetUserStatus(ctx, owner.ID, admin.ID, tandem.UserDisabled); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, adminSecret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("key of a disabled user: %v; want unauthorized", err)
		}
		if err := s.RevokeAPIKey(ctx, key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, secret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("revoked key works: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, key.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("revoke twice: %v", err)
		}
		keys, err := s.FindAPIKeys(ctx)
		if err != nil || len(keys) != 2 || keys[1].RevokedAt.IsZero() {
			t.Errorf("keys = %+v, %v", keys, err)
		}
	})
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		l := sqldb.NewRateLimiter(db)
		for i := range 3 {
			if ok, _, err := l.Allow(ctx, "login:ip:192.0.2.1", 3, time.Minute); !ok || err != nil {
				t.Fatalf("attempt %d refused: %v", i+1, err)
			}
		}
		now = now.Add(20 * time.Second)
		ok, retry, err := l.Allow(ctx, "login:ip:192.0.2.1", 3, time.Minute)
		if ok || err != nil || retry != 40*time.Second {
			t.Errorf("4th attempt = %v, retry %v, %v; want refused, retry in 40s", ok, retry, err)
		}
		if ok, _, _ := l.Allow(ctx, "login:ip:192.0.2.2", 3, time.Minute); !ok {
			t.Error("another key is limited too")
		}
		now = now.Add(41 * time.Second)
		if ok, _, _ := l.Allow(ctx, "login:ip:192.0.2.1", 3, time.Minute); !ok {
			t.Error("still refused after the window")
		}
	})
}

func TestSessionStore(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		s := sqldb.NewSessionStore(db)
		if err := s.CommitCtx(ctx, "tok", []byte{0, 1, 2}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, "tok", []byte{3, 4}, now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		data, found, err := s.FindCtx(ctx, "tok")
		if err != nil || !found || string(data) != "\x03\x04" {
			t.Fatalf("Find = %v, %v, %v", data, found, err)
		}
		now = now.Add(3 * time.Hour)
		if _, found, _ := s.FindCtx(ctx, "tok"); found {
			t.Error("expired session found")
		}
		if n, err := sqldb.NewAccountService(db).PurgeExpired(ctx); err != nil || n != 1 {
			t.Errorf("PurgeExpired = %d, %v; want the expired session", n, err)
		}
		if err := s.CommitCtx(ctx, "tok2", []byte{1}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCtx(ctx, "tok2"); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.FindCtx(ctx, "tok2"); found {
			t.Error("deleted session found")
		}
	})
}

// A password change, a reset or "sign out everywhere" kills the account's
// unused sign-in and reset links; a new invitation kills the earlier one.
func TestLinksDieWithTheSessions(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewAccountService(db)
		owner, err := s.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.SignInWithPassword(ctx, tandem.PrincipalUser, "owner@example.com", "the owners password")
		_ = s.SendSignInLink(ctx, tandem.PrincipalUser, "owner@example.com")
		signIn := sqldbtest.LastLink(t, db, "owner@example.com", "magic_link")
		_ = s.SendPasswordReset(ctx, tandem.PrincipalUser, "owner@example.com")
		reset := sqldbtest.LastLink(t, db, "owner@example.com", "password_reset")
		if err := s.SignOutEverywhere(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseSignInLink(ctx, signIn); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("sign-in link after sign out everywhere: %v", err)
		}
		if _, err := s.ResetPassword(ctx, reset, "a brand new password"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("reset link after sign out everywhere: %v", err)
		}

		if _, err := s.InviteUser(ctx, owner.ID, "fin@example.com", tandem.RoleFinance); err != nil {
			t.Fatal(err)
		}
		first := sqldbtest.LastLink(t, db, "fin@example.com", "user_invite")
		if _, err := s.InviteUser(ctx, owner.ID, "fin@example.com", tandem.RoleManager); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvite(ctx, first, "Finn", "finns password!"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("the earlier invitation still works: %v", err)
		}
		u, err := s.AcceptInvite(ctx, sqldbtest.LastLink(t, db, "fin@example.com", "user_invite"), "Finn", "finns password!")
		if err != nil || u.Role != tandem.RoleManager {
			t.Errorf("the new invitation = %+v, %v", u, err)
		}
	})
}
