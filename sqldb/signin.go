package sqldb

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/credential"
)

// accountTable is the table of a principal kind.
func accountTable(kind tandem.PrincipalKind) (string, error) {
	switch kind {
	case tandem.PrincipalUser:
		return "users", nil
	case tandem.PrincipalPartner:
		return "partner_users", nil
	default:
		return "", fmt.Errorf("unknown principal kind %q", kind)
	}
}

// account is what signing in needs to know of a user or partner user.
type account struct {
	id, name, hash string
	active         bool
	epoch          int64
}

// findAccount looks an account up by email or by ID. Partner users are
// always active; business users only when their status is.
func findAccount(ctx context.Context, tx *Tx, kind tandem.PrincipalKind, column, value string) (*account, error) {
	table, err := accountTable(kind)
	if err != nil {
		return nil, err
	}
	active := "TRUE"
	if kind == tandem.PrincipalUser {
		active = "status = 'active'"
	}
	var a account
	err = tx.QueryRowContext(ctx, `SELECT id, name, password_hash, `+active+`, session_epoch FROM `+table+` WHERE `+column+` = $1`, value).
		Scan(&a.id, &a.name, &a.hash, &a.active, &a.epoch)
	if isNoRows(err) {
		return nil, nil
	}
	return &a, err
}

var errBadCredentials = tandem.Errorf(tandem.EUNAUTHORIZED, "The email or password is incorrect.")

// SignInWithPassword checks an email and password. Unknown accounts take as
// long to refuse as wrong passwords, and get the same answer.
func (s *AccountService) SignInWithPassword(ctx context.Context, kind tandem.PrincipalKind, email, password string) (tandem.Principal, error) {
	email, err := tandem.NormalizeEmail(email)
	if err != nil {
		credential.CheckNoPassword(password)
		return tandem.Principal{}, errBadCredentials
	}
	var a *account
	if err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		a, err = findAccount(ctx, tx, kind, "email", email)
		return err
	}); err != nil {
		return tandem.Principal{}, err
	}
	if a == nil || a.hash == "" || !a.active {
		credential.CheckNoPassword(password)
		return tandem.Principal{}, errBadCredentials
	}
	ok, err := credential.CheckPassword(a.hash, password)
	if err != nil {
		return tandem.Principal{}, err
	}
	if !ok {
		return tandem.Principal{}, errBadCredentials
	}
	p := tandem.Principal{Kind: kind, ID: a.id, Epoch: a.epoch}
	return p, s.db.inWriteTx(ctx, func(tx *Tx) error { return tx.recordSignIn(ctx, p, "password") })
}

func (tx *Tx) recordSignIn(ctx context.Context, p tandem.Principal, method string) error {
	table, err := accountTable(p.Kind)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET last_login_at = $1 WHERE id = $2`, ms(tx.now), p.ID); err != nil {
		return err
	}
	return tx.audit(tandem.WithActor(ctx, tandem.Actor{Kind: actorKind(p.Kind), ID: p.ID, IP: tandem.ActorFrom(ctx).IP}), "session.sign_in", p.ID, map[string]string{"method": method})
}

func actorKind(k tandem.PrincipalKind) tandem.ActorKind {
	if k == tandem.PrincipalPartner {
		return tandem.ActorPartner
	}
	return tandem.ActorUser
}

// SendSignInLink emails a magic link to an existing, active account.
func (s *AccountService) SendSignInLink(ctx context.Context, kind tandem.PrincipalKind, email string) error {
	return s.emailLink(ctx, kind, email, tandem.LinkSignIn, "magic_link", "/signin/", "15 minutes")
}

// SendPasswordReset emails a reset link to an existing, active account.
func (s *AccountService) SendPasswordReset(ctx context.Context, kind tandem.PrincipalKind, email string) error {
	return s.emailLink(ctx, kind, email, tandem.LinkPasswordReset, "password_reset", "/password/reset/", "1 hour")
}

// emailLink creates a one-time link for the account with the email and
// queues its email; for an unknown email it does nothing and says nothing.
func (s *AccountService) emailLink(ctx context.Context, kind tandem.PrincipalKind, email string, purpose tandem.LinkPurpose, template, path, expiresIn string) error {
	email, err := tandem.NormalizeEmail(email)
	if err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		a, err := findAccount(ctx, tx, kind, "email", email)
		if err != nil || a == nil || !a.active {
			return err
		}
		token, err := tx.createLink(ctx, purpose, tandem.Principal{Kind: kind, ID: a.id})
		if err != nil {
			return err
		}
		return tx.queueEmail(ctx, email, a.name, template, emailData{RecipientName: a.name, LinkPath: path + token, ExpiresIn: expiresIn})
	})
}

// UseSignInLink consumes a magic link.
func (s *AccountService) UseSignInLink(ctx context.Context, token string) (tandem.Principal, error) {
	var p tandem.Principal
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		linked, err := tx.useLink(ctx, token, tandem.LinkSignIn)
		if err != nil {
			return err
		}
		a, err := findAccount(ctx, tx, linked.Kind, "id", linked.ID)
		if err != nil {
			return err
		}
		if a == nil || !a.active {
			return errExpiredLink
		}
		p = tandem.Principal{Kind: linked.Kind, ID: a.id, Epoch: a.epoch}
		return tx.recordSignIn(ctx, p, "magic_link")
	})
	return p, err
}

// ResetPassword consumes a reset link, sets the password and ends the
// account's other sessions.
func (s *AccountService) ResetPassword(ctx context.Context, token, password string) (tandem.Principal, error) {
	if err := credential.ValidatePassword(password); err != nil {
		return tandem.Principal{}, err
	}
	hash, err := credential.HashPassword(password)
	if err != nil {
		return tandem.Principal{}, err
	}
	var p tandem.Principal
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		linked, err := tx.useLink(ctx, token, tandem.LinkPasswordReset)
		if err != nil {
			return err
		}
		if p, err = tx.setPasswordHash(ctx, linked, hash); err != nil {
			return err
		}
		return tx.recordSignIn(ctx, p, "password_reset")
	})
	return p, err
}

// SetPassword changes a signed-in account's password.
func (s *AccountService) SetPassword(ctx context.Context, p tandem.Principal, current, password string) (tandem.Principal, error) {
	if err := credential.ValidatePassword(password); err != nil {
		return p, err
	}
	var a *account
	if err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		a, err = findAccount(ctx, tx, p.Kind, "id", p.ID)
		return err
	}); err != nil {
		return p, err
	}
	if a == nil {
		return p, tandem.Errorf(tandem.ENOTFOUND, "Account not found.")
	}
	if a.hash != "" {
		if ok, err := credential.CheckPassword(a.hash, current); err != nil {
			return p, err
		} else if !ok {
			return p, tandem.Invalidf("current_password", "The current password is incorrect.")
		}
	}
	hash, err := credential.HashPassword(password)
	if err != nil {
		return p, err
	}
	err = s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		p, err = tx.setPasswordHash(ctx, p, hash)
		return err
	})
	return p, err
}

// setPasswordHash stores a new password hash and raises the session epoch.
func (tx *Tx) setPasswordHash(ctx context.Context, p tandem.Principal, hash string) (tandem.Principal, error) {
	table, err := accountTable(p.Kind)
	if err != nil {
		return p, err
	}
	if err := tx.QueryRowContext(ctx, `UPDATE `+table+` SET password_hash = $1, session_epoch = session_epoch + 1, updated_at = $2
		WHERE id = $3 RETURNING session_epoch`, hash, ms(tx.now), p.ID).Scan(&p.Epoch); err != nil {
		return p, err
	}
	if err := tx.expireLinks(ctx, p, tandem.LinkSignIn, tandem.LinkPasswordReset); err != nil {
		return p, err
	}
	return p, tx.audit(ctx, "account.password", p.ID, nil)
}

// ValidatePrincipal checks that a session's account is active and its epoch current.
func (s *AccountService) ValidatePrincipal(ctx context.Context, p tandem.Principal) error {
	var a *account
	if err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		a, err = findAccount(ctx, tx, p.Kind, "id", p.ID)
		return err
	}); err != nil {
		return err
	}
	if a == nil || !a.active || a.epoch != p.Epoch {
		return tandem.Errorf(tandem.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	}
	return nil
}

// SignOutEverywhere ends every session of the account.
func (s *AccountService) SignOutEverywhere(ctx context.Context, p tandem.Principal) error {
	table, err := accountTable(p.Kind)
	if err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET session_epoch = session_epoch + 1 WHERE id = $1`, p.ID); err != nil {
			return err
		}
		if err := tx.expireLinks(ctx, p, tandem.LinkSignIn, tandem.LinkPasswordReset); err != nil {
			return err
		}
		return tx.audit(ctx, "session.sign_out_everywhere", p.ID, nil)
	})
}

var errExpiredLink = tandem.Errorf(tandem.EINVALID, "This link has expired or has already been used. Ask for a new one.")

// createLink stores a new one-time link for the principal and returns its token.
func (tx *Tx) createLink(ctx context.Context, purpose tandem.LinkPurpose, p tandem.Principal) (string, error) {
	token, hash := credential.NewToken()
	_, err := tx.ExecContext(ctx, `
		INSERT INTO login_links (token_hash, purpose, principal_kind, principal_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		hash, purpose, p.Kind, p.ID, ms(tx.now), ms(tx.now.Add(tandem.LinkLifetime(purpose))))
	if err != nil {
		return "", fmt.Errorf("create link: %w", err)
	}
	return token, nil
}

// expireLinks ends the account's unused links of the purposes: a password
// change or "sign out everywhere" must not leave a way back in.
func (tx *Tx) expireLinks(ctx context.Context, p tandem.Principal, purposes ...tandem.LinkPurpose) error {
	for _, purpose := range purposes {
		if _, err := tx.ExecContext(ctx, `UPDATE login_links SET used_at = $1
			WHERE principal_kind = $2 AND principal_id = $3 AND purpose = $4 AND used_at IS NULL`, ms(tx.now), p.Kind, p.ID, purpose); err != nil {
			return fmt.Errorf("expire links: %w", err)
		}
	}
	return nil
}

// useLink marks a link used, exactly once: of two concurrent uses one fails.
func (tx *Tx) useLink(ctx context.Context, token string, purpose tandem.LinkPurpose) (tandem.Principal, error) {
	var p tandem.Principal
	err := tx.QueryRowContext(ctx, `
		UPDATE login_links SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING principal_kind, principal_id`, ms(tx.now), credential.HashToken(token), purpose).Scan(&p.Kind, &p.ID)
	if isNoRows(err) {
		return p, errExpiredLink
	}
	return p, err
}

// CheckLink reports whether a link is valid for the purpose, without using it.
func (s *AccountService) CheckLink(ctx context.Context, token string, purpose tandem.LinkPurpose) error {
	var n int
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
			credential.HashToken(token), purpose, ms(tx.now)).Scan(&n)
	})
	if err == nil && n == 0 {
		return errExpiredLink
	}
	return err
}

// PurgeExpired deletes expired sessions and links and stale rate-limit windows.
func (s *AccountService) PurgeExpired(ctx context.Context) (int, error) {
	var total int64
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		dayAgo := ms(tx.now.AddDate(0, 0, -1))
		for _, q := range []struct {
			sql string
			arg int64
		}{
			{`DELETE FROM sessions WHERE expires_at <= $1`, ms(tx.now)},
			{`DELETE FROM login_links WHERE expires_at <= $1`, dayAgo},
			{`DELETE FROM rate_limits WHERE window_start <= $1`, dayAgo},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.arg)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return int(total), err
}
