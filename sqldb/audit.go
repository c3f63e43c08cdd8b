package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// AuditService reads and prunes the audit log.
type AuditService struct{ db *DB }

var _ tandem.AuditService = (*AuditService)(nil)

// NewAuditService returns the audit log of db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

// FindAuditEntries returns the matching entries, newest first.
func (s *AuditService) FindAuditEntries(ctx context.Context, filter tandem.AuditFilter) ([]*tandem.AuditEntry, error) {
	var entries []*tandem.AuditEntry
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var w where
		w.eq("entity_id", filter.EntityID)
		if filter.Before != "" {
			w.args = append(w.args, filter.Before)
			w.conds = append(w.conds, fmt.Sprintf("(occurred_at, id) < (SELECT occurred_at, id FROM audit_log WHERE id = $%d)", len(w.args)))
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT id, actor_kind, actor_id, ip, action, entity_id, detail, occurred_at
			FROM audit_log `+w.String()+`
			ORDER BY occurred_at DESC, id DESC LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e tandem.AuditEntry
			if err := rows.Scan(&e.ID, &e.ActorKind, &e.ActorID, &e.IP, &e.Action, &e.EntityID, &e.Detail, timeCol(&e.OccurredAt)); err != nil {
				return err
			}
			entries = append(entries, &e)
		}
		return rows.Err()
	})
	return entries, err
}

// PurgeAuditEntries deletes the entries that occurred before the cutoff.
func (s *AuditService) PurgeAuditEntries(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE occurred_at < $1`, ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// audit records, inside tx, that the context's actor did action to the
// entity. detail, if not nil, is stored as JSON.
func (tx *Tx) audit(ctx context.Context, action, entityID string, detail any) error {
	actor := tandem.ActorFrom(ctx)
	var text string
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		text = string(b)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_log (id, actor_kind, actor_id, ip, action, entity_id, detail, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tandem.NewID(tandem.PrefixAudit), actor.Kind, actor.ID, actor.IP, action, entityID, text, ms(tx.now))
	return err
}
