package tandem

import (
	"context"
	"time"
)

// Role is what a business user may do.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner    Role = "owner"     // everything, including the audit log and other owners
	RoleAdmin    Role = "admin"     // everything but the audit log and owners
	RoleManager  Role = "manager"   // programs and partners
	RoleFinance  Role = "finance"   // commissions and payouts
	RoleReadOnly Role = "read_only" // looks, changes nothing
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleManager, RoleFinance, RoleReadOnly}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Permission is one kind of action a role may be allowed.
type Permission string

// Permissions. Every handler that changes something checks one on the server.
const (
	PermView              Permission = "view"               // read the dashboard and lists
	PermManagePrograms    Permission = "programs.manage"    // create and edit programs
	PermManagePartners    Permission = "partners.manage"    // vet, approve, suspend partners
	PermManageReferrals   Permission = "referrals.manage"   // move referrals along the pipeline
	PermManageCommissions Permission = "commissions.manage" // approve and reject commissions
	PermManagePayouts     Permission = "payouts.manage"     // review, approve and send payouts
	PermManageUsers       Permission = "users.manage"       // invite users, change roles
	PermManageAPIKeys     Permission = "api_keys.manage"    // create and revoke API keys
	PermViewAudit         Permission = "audit.view"         // read the audit log
)

var rolePermissions = map[Role][]Permission{
	RoleOwner:    {PermView, PermManagePrograms, PermManagePartners, PermManageReferrals, PermManageCommissions, PermManagePayouts, PermManageUsers, PermManageAPIKeys, PermViewAudit},
	RoleAdmin:    {PermView, PermManagePrograms, PermManagePartners, PermManageReferrals, PermManageCommissions, PermManagePayouts, PermManageUsers, PermManageAPIKeys},
	RoleManager:  {PermView, PermManagePrograms, PermManagePartners, PermManageReferrals},
	RoleFinance:  {PermView, PermManageCommissions, PermManagePayouts},
	RoleReadOnly: {PermView},
}

// Can reports whether the role has the permission.
func (r Role) Can(p Permission) bool {
	for _, have := range rolePermissions[r] {
		if have == p {
			return true
		}
	}
	return false
}

// CanAssign reports whether a user of role r may give role to another user
// (or take it away): only owners make or unmake owners.
func (r Role) CanAssign(role Role) bool {
	return r.Can(PermManageUsers) && (role != RoleOwner || r == RoleOwner)
}

// UserStatus is where a business user's account stands.
type UserStatus string

// User statuses.
const (
	UserInvited  UserStatus = "invited"  // has an invitation, has not accepted it
	UserActive   UserStatus = "active"   // may sign in
	UserDisabled UserStatus = "disabled" // may not sign in; sessions end
)

// User is a person who works for the business: a program manager, finance,
// an owner.
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        Role       `json:"role"`
	Status      UserStatus `json:"status"`
	HasPassword bool       `json:"has_password"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt time.Time  `json:"last_login_at,omitzero"`
}

// DisplayName is the user's name, or their email while they have none.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// PartnerUser is a person who signs in to the partner portal for a partner;
// a partner (a company) may have several.
type PartnerUser struct {
	ID          string    `json:"id"`
	PartnerID   string    `json:"partner_id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	HasPassword bool      `json:"has_password"`
	CreatedAt   time.Time `json:"created_at"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// PrincipalKind says which kind of account signed in.
type PrincipalKind string

// Principal kinds.
const (
	PrincipalUser    PrincipalKind = "user"
	PrincipalPartner PrincipalKind = "partner_user"
)

// Principal is who a session or a sign-in link belongs to.
type Principal struct {
	Kind PrincipalKind
	ID   string // a User or PartnerUser ID
	// Epoch is the account's session epoch when the session began: signing
	// out everywhere raises the account's epoch and so ends every session.
	Epoch int64
}

// APIScope is what an API key may do.
type APIScope string

// API scopes.
const (
	ScopeRead  APIScope = "read"  // GET only
	ScopeWrite APIScope = "write" // everything the API offers
)

// APIKey is a named credential for the business's own systems. The secret is
// shown once, at creation; Tandem keeps its hash and a visible prefix.
type APIKey struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"` // the start of the secret, to recognise it
	Scope      APIScope  `json:"scope"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// LinkPurpose is what a one-time link is for.
type LinkPurpose string

// One-time link purposes and how long each link lives.
const (
	LinkSignIn        LinkPurpose = "sign_in"        // magic link: 15 minutes
	LinkPasswordReset LinkPurpose = "password_reset" // 1 hour
	LinkInvite        LinkPurpose = "invite"         // 7 days
	LinkSetup         LinkPurpose = "setup"          // the first owner: 24 hours
)

// LinkLifetime is how long a one-time link of the purpose stays valid.
func LinkLifetime(p LinkPurpose) time.Duration {
	switch p {
	case LinkSignIn:
		return 15 * time.Minute
	case LinkPasswordReset:
		return time.Hour
	case LinkInvite:
		return 7 * 24 * time.Hour
	default:
		return 24 * time.Hour
	}
}

// AccountService manages the business's users and the partners' users, and
// everything that proves who they are: passwords, one-time links (sign-in,
// reset, invitation, setup), session epochs and API keys. Emails it sends go
// through the outbox in the same transaction as the write.
type AccountService interface {
	// CreateOwner creates an active owner with a password (tandem admin create).
	CreateOwner(ctx context.Context, email, name, password string) (*User, error)
	// HasOwner reports whether any active owner exists.
	HasOwner(ctx context.Context) (bool, error)
	// CreateSetupLink returns a one-time link token that creates the first owner.
	CreateSetupLink(ctx context.Context) (token string, err error)
	// CompleteSetup creates the first owner from a setup link.
	CompleteSetup(ctx context.Context, token, email, name, password string) (*User, error)

	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUsers(ctx context.Context) ([]*User, error)
	// InviteUser creates an invited user and emails them an invitation. The
	// inviter must be allowed to assign the role.
	InviteUser(ctx context.Context, inviterID, email string, role Role) (*User, error)
	// AcceptInvite activates an invited user with their name and password.
	AcceptInvite(ctx context.Context, token, name, password string) (*User, error)
	// SetUserRole changes a user's role; the changer must be allowed to assign
	// both the old and the new role, and the last owner cannot stop being one.
	SetUserRole(ctx context.Context, changerID, userID string, role Role) (*User, error)
	// SetUserStatus disables or re-enables a user (ending their sessions).
	SetUserStatus(ctx context.Context, changerID, userID string, status UserStatus) (*User, error)

	// CreatePartnerUser gives a partner a user who can sign in to the portal.
	CreatePartnerUser(ctx context.Context, partnerID, email, name string) (*PartnerUser, error)
	FindPartnerUserByID(ctx context.Context, id string) (*PartnerUser, error)

	// SignInWithPassword checks an email and password for the kind of account.
	// A wrong password and an unknown email give the same EUNAUTHORIZED.
	SignInWithPassword(ctx context.Context, kind PrincipalKind, email, password string) (Principal, error)
	// SendSignInLink emails a magic link if the account exists; it reports
	// nothing either way, so nobody learns who has an account.
	SendSignInLink(ctx context.Context, kind PrincipalKind, email string) error
	// SendPasswordReset emails a reset link if the account exists; silent either way.
	SendPasswordReset(ctx context.Context, kind PrincipalKind, email string) error
	// UseSignInLink consumes a magic link and returns who it signs in.
	UseSignInLink(ctx context.Context, token string) (Principal, error)
	// ResetPassword consumes a reset link and sets the new password.
	ResetPassword(ctx context.Context, token, password string) (Principal, error)
	// CheckLink reports whether a one-time link token is valid for the purpose, without using it.
	CheckLink(ctx context.Context, token string, purpose LinkPurpose) error
	// SetPassword sets a signed-in account's password after checking the
	// current one (if any), and ends the account's other sessions: the
	// returned principal carries the new epoch for the current session.
	SetPassword(ctx context.Context, p Principal, current, password string) (Principal, error)
	// ValidatePrincipal checks that a session's principal still may act:
	// the account is active and its epoch unchanged.
	ValidatePrincipal(ctx context.Context, p Principal) error
	// SignOutEverywhere ends every session of the account.
	SignOutEverywhere(ctx context.Context, p Principal) error

	// CreateAPIKey returns the key and its secret, shown only this once.
	CreateAPIKey(ctx context.Context, creatorID, name string, scope APIScope) (*APIKey, string, error)
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	// AuthenticateAPIKey returns the live key a secret belongs to, or EUNAUTHORIZED.
	AuthenticateAPIKey(ctx context.Context, secret string) (*APIKey, error)

	// PurgeExpired deletes expired sessions, used or expired links and old
	// rate-limit windows, and returns how many rows it deleted.
	PurgeExpired(ctx context.Context) (int, error)
}

// RateLimiter counts attempts per key in fixed windows, shared by every
// instance through the database.
type RateLimiter interface {
	// Allow records one attempt for key and reports whether it is within
	// limit attempts per window; if not, when to try again.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}
