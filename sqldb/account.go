package sqldb

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/credential"
)

// AccountService manages business users, partner users, their credentials
// and API keys.
type AccountService struct{ db *DB }

var _ tandem.AccountService = (*AccountService)(nil)

// NewAccountService returns the accounts of db.
func NewAccountService(db *DB) *AccountService { return &AccountService{db: db} }

// newAccount validates what every new account needs and hashes its password.
// The hash is computed before any transaction: argon2id takes tens of
// milliseconds that the single SQLite writer should not wait for.
func newAccount(email, name, password string) (normEmail, normName, hash string, err error) {
	if normEmail, err = tandem.NormalizeEmail(email); err != nil {
		return "", "", "", err
	}
	normName = name
	if err = tandem.RequireText("name", "Name", &normName, 200); err != nil {
		return "", "", "", err
	}
	if err = credential.ValidatePassword(password); err != nil {
		return "", "", "", err
	}
	hash, err = credential.HashPassword(password)
	return normEmail, normName, hash, err
}

// CreateOwner creates an active owner with a password.
func (s *AccountService) CreateOwner(ctx context.Context, email, name, password string) (*tandem.User, error) {
	email, name, hash, err := newAccount(email, name, password)
	if err != nil {
		return nil, err
	}
	var u *tandem.User
	err = s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		u, err = tx.insertUser(ctx, email, name, tandem.RoleOwner, tandem.UserActive, hash)
		return err
	})
	return u, err
}

// HasOwner reports whether an active owner exists.
func (s *AccountService) HasOwner(ctx context.Context) (bool, error) {
	var n int
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner' AND status = 'active'`).Scan(&n)
	})
	return n > 0, err
}

// CreateSetupLink returns a one-time token that creates the first owner.
func (s *AccountService) CreateSetupLink(ctx context.Context) (string, error) {
	var token string
	err := s.db.inWriteTx(ctx, func(tx *Tx) (err error) {
		token, err = tx.createLink(ctx, tandem.LinkSetup, tandem.Principal{})
		return err
	})
	return token, err
}

// CompleteSetup creates the first owner from a setup link.
func (s *AccountService) CompleteSetup(ctx context.Context, token, email, name, password string) (*tandem.User, error) {
	email, name, hash, err := newAccount(email, name, password)
	if err != nil {
		return nil, err
	}
	var u *tandem.User
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.useLink(ctx, token, tandem.LinkSetup); err != nil {
			return err
		}
		var owners int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner'`).Scan(&owners); err != nil {
			return err
		}
		if owners > 0 {
			return tandem.Errorf(tandem.ECONFLICT, "Tandem is already set up. Sign in instead.")
		}
		u, err = tx.insertUser(ctx, email, name, tandem.RoleOwner, tandem.UserActive, hash)
		return err
	})
	return u, err
}

func (tx *Tx) insertUser(ctx context.Context, email, name string, role tandem.Role, status tandem.UserStatus, hash string) (*tandem.User, error) {
	u := &tandem.User{ID: tandem.NewID(tandem.PrefixUser), Email: email, Name: name, Role: role, Status: status,
		HasPassword: hash != "", CreatedAt: tx.now, UpdatedAt: tx.now}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO users (id, email, name, role, status, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.Email, u.Name, u.Role, u.Status, hash, ms(u.CreatedAt), ms(u.UpdatedAt))
	if isUniqueViolation(err) {
		return nil, &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "A user with this email already exists."}
	} else if err != nil {
		return nil, fmt.Errorf("insert user: %w", err)
	}
	return u, tx.audit(ctx, "user.create", u.ID, map[string]any{"email": u.Email, "role": u.Role, "status": u.Status})
}

// FindUserByID returns the user with the ID, or ENOTFOUND.
func (s *AccountService) FindUserByID(ctx context.Context, id string) (*tandem.User, error) {
	var u *tandem.User
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		u, err = findUserByID(ctx, tx, id)
		return err
	})
	return u, err
}

// FindUsers returns every business user, owners first, then by name.
func (s *AccountService) FindUsers(ctx context.Context) ([]*tandem.User, error) {
	var users []*tandem.User
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		users, err = findUsers(ctx, tx, "")
		return err
	})
	return users, err
}

const userColumns = `id, email, name, role, status, password_hash <> '', created_at, updated_at, last_login_at`

func findUsers(ctx context.Context, tx *Tx, id string) ([]*tandem.User, error) {
	var w where
	w.eq("id", id)
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users `+w.String()+`
		ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, name, email`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var users []*tandem.User
	for rows.Next() {
		var u tandem.User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Status, &u.HasPassword,
			timeCol(&u.CreatedAt), timeCol(&u.UpdatedAt), timeCol(&u.LastLoginAt)); err != nil {
			return nil, err
		}
		users = append(users, &u)
	}
	return users, rows.Err()
}

func findUserByID(ctx context.Context, tx *Tx, id string) (*tandem.User, error) {
	users, err := findUsers(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "User not found.")
	}
	return users[0], nil
}

// InviteUser creates (or re-invites) an invited user and emails the invitation.
func (s *AccountService) InviteUser(ctx context.Context, inviterID, email string, role tandem.Role) (*tandem.User, error) {
	email, err := tandem.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, tandem.Invalidf("role", "Role must be one of owner, admin, manager, finance or read_only.")
	}
	var u *tandem.User
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		inviter, err := findUserByID(ctx, tx, inviterID)
		if err != nil {
			return err
		}
		if !inviter.Role.CanAssign(role) {
			return tandem.Errorf(tandem.EFORBIDDEN, "Your role cannot invite a user as %s.", role)
		}
		var existing struct {
			id     string
			status tandem.UserStatus
		}
		err = tx.QueryRowContext(ctx, `SELECT id, status FROM users WHERE email = $1`, email).Scan(&existing.id, &existing.status)
		switch {
		case isNoRows(err):
			if u, err = tx.insertUser(ctx, email, "", role, tandem.UserInvited, ""); err != nil {
				return err
			}
		case err != nil:
			return err
		case existing.status != tandem.UserInvited:
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "This person already has an account."}
		default: // invite again, perhaps with another role; the earlier link dies
			if u, err = findUserByID(ctx, tx, existing.id); err != nil {
				return err
			}
			if !inviter.Role.CanAssign(u.Role) {
				return tandem.Errorf(tandem.EFORBIDDEN, "Your role cannot change an invitation as %s.", u.Role)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, role, ms(tx.now), existing.id); err != nil {
				return err
			}
			u.Role = role
			if err := tx.expireLinks(ctx, tandem.Principal{Kind: tandem.PrincipalUser, ID: u.ID}, tandem.LinkInvite); err != nil {
				return err
			}
		}
		token, err := tx.createLink(ctx, tandem.LinkInvite, tandem.Principal{Kind: tandem.PrincipalUser, ID: u.ID})
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, "user.invite", u.ID, map[string]any{"email": email, "role": role}); err != nil {
			return err
		}
		return tx.queueEmail(ctx, email, "", "user_invite", emailData{
			LinkPath: "/invite/" + token, ExpiresIn: "7 days", InviterName: inviter.DisplayName(), Role: string(role),
		})
	})
	return u, err
}

// AcceptInvite activates an invited user.
func (s *AccountService) AcceptInvite(ctx context.Context, token, name, password string) (*tandem.User, error) {
	if err := tandem.RequireText("name", "Name", &name, 200); err != nil {
		return nil, err
	}
	if err := credential.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := credential.HashPassword(password)
	if err != nil {
		return nil, err
	}
	var u *tandem.User
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		p, err := tx.useLink(ctx, token, tandem.LinkInvite)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE users SET name = $1, password_hash = $2, status = 'active', updated_at = $3, last_login_at = $3
			WHERE id = $4 AND status = 'invited'`, name, hash, ms(tx.now), p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return tandem.Errorf(tandem.EINVALID, "This invitation is no longer valid.")
		}
		if u, err = findUserByID(ctx, tx, p.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "user.accept_invite", u.ID, nil)
	})
	return u, err
}

// SetUserRole changes a user's role.
func (s *AccountService) SetUserRole(ctx context.Context, changerID, userID string, role tandem.Role) (*tandem.User, error) {
	if !role.Valid() {
		return nil, tandem.Invalidf("role", "Role must be one of owner, admin, manager, finance or read_only.")
	}
	defer s.db.apiKeys.clear() // the user's API keys may lose their access
	var u *tandem.User
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		changer, target, err := changerAndTarget(ctx, tx, changerID, userID)
		if err != nil {
			return err
		}
		if !changer.Role.CanAssign(target.Role) || !changer.Role.CanAssign(role) {
			return tandem.Errorf(tandem.EFORBIDDEN, "Your role cannot change a %s into a %s.", target.Role, role)
		}
		if target.Role == tandem.RoleOwner && role != tandem.RoleOwner {
			if err := tx.keepAnOwner(ctx, target.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, role, ms(tx.now), target.ID); err != nil {
			return err
		}
		target.Role, target.UpdatedAt, u = role, tx.now, target
		return tx.audit(ctx, "user.role", target.ID, map[string]any{"role": role})
	})
	return u, err
}

// SetUserStatus disables or re-enables a user; disabling ends their sessions.
func (s *AccountService) SetUserStatus(ctx context.Context, changerID, userID string, status tandem.UserStatus) (*tandem.User, error) {
	if status != tandem.UserActive && status != tandem.UserDisabled {
		return nil, tandem.Invalidf("status", "Status must be active or disabled.")
	}
	defer s.db.apiKeys.clear() // the user's API keys may lose their access
	var u *tandem.User
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		changer, target, err := changerAndTarget(ctx, tx, changerID, userID)
		if err != nil {
			return err
		}
		if !changer.Role.CanAssign(target.Role) {
			return tandem.Errorf(tandem.EFORBIDDEN, "Your role cannot change a %s's account.", target.Role)
		}
		if changer.ID == target.ID {
			return tandem.Errorf(tandem.EINVALID, "You cannot disable your own account.")
		}
		if target.Status == tandem.UserInvited {
			return tandem.Errorf(tandem.EINVALID, "This user has not accepted the invitation yet.")
		}
		if status == tandem.UserDisabled && target.Role == tandem.RoleOwner {
			if err := tx.keepAnOwner(ctx, target.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = $1, session_epoch = session_epoch + 1, updated_at = $2 WHERE id = $3`,
			status, ms(tx.now), target.ID); err != nil {
			return err
		}
		target.Status, target.UpdatedAt, u = status, tx.now, target
		return tx.audit(ctx, "user.status", target.ID, map[string]any{"status": status})
	})
	return u, err
}

func changerAndTarget(ctx context.Context, tx *Tx, changerID, userID string) (changer, target *tandem.User, err error) {
	if changer, err = findUserByID(ctx, tx, changerID); err != nil {
		return nil, nil, err
	}
	if target, err = findUserByID(ctx, tx, userID); err != nil {
		return nil, nil, err
	}
	return changer, target, nil
}

// keepAnOwner refuses a change that would leave no active owner but the one
// with the ID.
func (tx *Tx) keepAnOwner(ctx context.Context, exceptID string) error {
	// Lock the owners' rows first: on PostgreSQL two owners demoting each
	// other at once would otherwise both see the other and leave none.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at WHERE role = 'owner' AND status = 'active'`); err != nil {
		return err
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner' AND status = 'active' AND id <> $1`, exceptID).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return tandem.Errorf(tandem.EINVALID, "Tandem needs at least one owner: make someone else an owner first.")
	}
	return nil
}

// CreatePartnerUser gives a partner a portal user.
func (s *AccountService) CreatePartnerUser(ctx context.Context, partnerID, email, name string) (*tandem.PartnerUser, error) {
	email, err := tandem.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := tandem.RequireText("name", "Name", &name, 200); err != nil {
		return nil, err
	}
	var pu *tandem.PartnerUser
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := findPartnerByID(ctx, tx, partnerID); err != nil {
			return err
		}
		pu = &tandem.PartnerUser{ID: tandem.NewID(tandem.PrefixPartnerUsr), PartnerID: partnerID, Email: email, Name: name, CreatedAt: tx.now}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO partner_users (id, partner_id, email, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			pu.ID, pu.PartnerID, pu.Email, pu.Name, ms(pu.CreatedAt))
		if isUniqueViolation(err) {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "email", Message: "A partner user with this email already exists."}
		} else if err != nil {
			return fmt.Errorf("insert partner user: %w", err)
		}
		return tx.audit(ctx, "partner_user.create", pu.ID, map[string]any{"partner_id": partnerID, "email": email})
	})
	return pu, err
}

// FindPartnerUserByID returns the partner user with the ID, or ENOTFOUND.
func (s *AccountService) FindPartnerUserByID(ctx context.Context, id string) (*tandem.PartnerUser, error) {
	var pu tandem.PartnerUser
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `
			SELECT id, partner_id, email, name, password_hash <> '', created_at, last_login_at FROM partner_users WHERE id = $1`, id).
			Scan(&pu.ID, &pu.PartnerID, &pu.Email, &pu.Name, &pu.HasPassword, timeCol(&pu.CreatedAt), timeCol(&pu.LastLoginAt))
	})
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Partner user not found.")
	}
	return &pu, err
}
