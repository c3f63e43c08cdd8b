package tandem

import (
	"context"
	"time"
)

// ActorKind says who made a change.
type ActorKind string

// Actor kinds.
const (
	ActorSystem  ActorKind = "system"  // Tandem itself: jobs, the demo, the command line
	ActorUser    ActorKind = "user"    // a business user
	ActorPartner ActorKind = "partner" // a partner user
	ActorAPIKey  ActorKind = "api_key" // a call to the API
)

// Actor is who makes a change, and from where. It travels in the context so
// that every store write can record it in the audit log.
type Actor struct {
	Kind ActorKind
	ID   string // user, partner user or API key ID; empty for the system
	IP   string // the client address as the server saw it; empty for the system
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in the context, or the system actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: ActorSystem}
}

// AuditEntry records one change: who, what, to which entity, when, from where.
type AuditEntry struct {
	ID         string    `json:"id"`
	ActorKind  ActorKind `json:"actor_kind"`
	ActorID    string    `json:"actor_id,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Action     string    `json:"action"` // e.g. "program.create"
	EntityID   string    `json:"entity_id"`
	Detail     string    `json:"detail,omitempty"` // JSON of what changed
	OccurredAt time.Time `json:"occurred_at"`
}

// AuditFilter selects audit entries. Zero fields match everything.
type AuditFilter struct {
	EntityID string
	// Before, an entry ID, asks for the page of entries older than it.
	Before string
	Limit  int
}

// AuditService reads and prunes the audit log. Entries are written by the
// other services, in the same transaction as the change they record.
type AuditService interface {
	// FindAuditEntries returns the matching entries, newest first.
	FindAuditEntries(ctx context.Context, filter AuditFilter) ([]*AuditEntry, error)
	// PurgeAuditEntries deletes the entries that occurred before the cutoff
	// and returns how many it deleted.
	PurgeAuditEntries(ctx context.Context, before time.Time) (int, error)
}
