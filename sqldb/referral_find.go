package sqldb

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// FindReferralByID returns the referral with the ID, or ENOTFOUND.
func (s *ReferralService) FindReferralByID(ctx context.Context, id string) (*tandem.Referral, error) {
	var r *tandem.Referral
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		r, err = findReferral(ctx, tx, tandem.ReferralFilter{ID: id, Limit: 1})
		return err
	})
	return r, err
}

// FindReferrals returns the matching referrals, oldest first unless filter.Newest.
func (s *ReferralService) FindReferrals(ctx context.Context, filter tandem.ReferralFilter) ([]*tandem.Referral, error) {
	var rs []*tandem.Referral
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		rs, err = findReferrals(ctx, tx, filter)
		return err
	})
	return rs, err
}

// CountReferrals counts the matching referrals per status.
func (s *ReferralService) CountReferrals(ctx context.Context, filter tandem.ReferralFilter) (map[tandem.ReferralStatus]int, error) {
	filter.Status = ""
	w := referralWhere(filter)
	out := map[tandem.ReferralStatus]int{}
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT status, COUNT(*) FROM referrals `+w.String()+` GROUP BY status`, w.args...)
		if err != nil {
			return fmt.Errorf("count referrals: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var st tandem.ReferralStatus
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			out[st] = n
		}
		return rows.Err()
	})
	return out, err
}

// FindReferralEvents returns a referral's history, oldest first.
func (s *ReferralService) FindReferralEvents(ctx context.Context, referralID string) ([]*tandem.ReferralEvent, error) {
	var es []*tandem.ReferralEvent
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT referral_id, seq, from_status, to_status, reason, actor_kind, actor_id, occurred_at
			FROM referral_events WHERE referral_id = $1 ORDER BY seq`, referralID)
		if err != nil {
			return fmt.Errorf("find referral events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e tandem.ReferralEvent
			if err := rows.Scan(&e.ReferralID, &e.Seq, &e.From, &e.To, &e.Reason, &e.ActorKind, &e.ActorID, timeCol(&e.OccurredAt)); err != nil {
				return err
			}
			es = append(es, &e)
		}
		return rows.Err()
	})
	return es, err
}

func findReferral(ctx context.Context, tx *Tx, filter tandem.ReferralFilter) (*tandem.Referral, error) {
	rs, err := findReferrals(ctx, tx, filter)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 || filter.ID == "" {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Referral not found.")
	}
	return rs[0], nil
}

// referralWhere is the WHERE clause of a filter, without its paging.
func referralWhere(filter tandem.ReferralFilter) *where {
	var w where
	w.eq("id", filter.ID)
	w.eq("program_id", filter.ProgramID)
	w.eq("partner_id", filter.PartnerID)
	w.eq("status", string(filter.Status))
	w.eq("source", string(filter.Source))
	w.eq("conflict", string(filter.Conflict))
	return &w
}

func findReferrals(ctx context.Context, tx *Tx, filter tandem.ReferralFilter) ([]*tandem.Referral, error) {
	w := referralWhere(filter)
	order := "created_at, id"
	if filter.Newest {
		order = "created_at DESC, id DESC"
	} else if err := w.after(filter.After, "created_at", "id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, program_id, partner_id, COALESCE(link_id, ''), source, email, name, company, domain, notes,
			expected_value, currency, status, reason, conflict, conflict_with_id, COALESCE(customer_id, ''),
			protected_until, qualified_at, converted_at, created_at, updated_at
		FROM referrals `+w.String()+`
		ORDER BY `+order+` LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find referrals: %w", err)
	}
	defer rows.Close()
	var rs []*tandem.Referral
	for rows.Next() {
		var r tandem.Referral
		if err := rows.Scan(&r.ID, &r.ProgramID, &r.PartnerID, &r.LinkID, &r.Source, &r.Email, &r.Name, &r.Company, &r.Domain, &r.Notes,
			&r.ExpectedValue, &r.Currency, &r.Status, &r.Reason, &r.Conflict, &r.ConflictWithID, &r.CustomerID,
			timeCol(&r.ProtectedUntil), timeCol(&r.QualifiedAt), timeCol(&r.ConvertedAt), timeCol(&r.CreatedAt), timeCol(&r.UpdatedAt)); err != nil {
			return nil, err
		}
		rs = append(rs, &r)
	}
	return rs, rows.Err()
}
