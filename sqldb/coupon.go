package sqldb

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// CouponService stores coupon codes mapped to partners.
type CouponService struct{ db *DB }

var _ tandem.CouponService = (*CouponService)(nil)

// NewCouponService returns the coupons of db.
func NewCouponService(db *DB) *CouponService { return &CouponService{db: db} }

// CreateCoupon maps a code to a partner who is a member of the program.
func (s *CouponService) CreateCoupon(ctx context.Context, programID, partnerID, code string) (*tandem.Coupon, error) {
	code, err := tandem.NormalizeCoupon(code)
	if err != nil {
		return nil, err
	}
	c := &tandem.Coupon{ID: tandem.NewID(tandem.PrefixCoupon), ProgramID: programID, PartnerID: partnerID, Code: code}
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		members, err := findMemberships(ctx, tx, tandem.MembershipFilter{ProgramID: programID, PartnerID: partnerID, Limit: 1})
		if err != nil {
			return err
		}
		if len(members) == 0 {
			return tandem.Invalidf("partner_id", "The partner is not in this program.")
		}
		c.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO coupons (id, program_id, partner_id, code, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (program_id, code) DO NOTHING`, c.ID, programID, partnerID, code, ms(tx.now))
		if err != nil {
			return fmt.Errorf("insert coupon: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert coupon: %w", err)
		} else if n == 0 {
			return &tandem.Error{Code: tandem.ECONFLICT, Field: "code", Message: fmt.Sprintf("Coupon %s is already used in this program.", code)}
		}
		return tx.audit(ctx, "coupon.create", c.ID, map[string]string{"code": code, "partner_id": partnerID, "program_id": programID})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Coupons lists a program's live coupons, optionally of one partner.
func (s *CouponService) Coupons(ctx context.Context, programID, partnerID string) ([]*tandem.Coupon, error) {
	var out []*tandem.Coupon
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var w where
		w.eq("program_id", programID)
		w.eq("partner_id", partnerID)
		cond := w.String()
		if cond == "" {
			cond = "WHERE 1 = 1"
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, program_id, partner_id, code, created_at FROM coupons `+cond+
			` AND archived_at IS NULL ORDER BY code LIMIT 1000`, w.args...)
		if err != nil {
			return fmt.Errorf("list coupons: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := &tandem.Coupon{}
			if err := rows.Scan(&c.ID, &c.ProgramID, &c.PartnerID, &c.Code, timeCol(&c.CreatedAt)); err != nil {
				return fmt.Errorf("list coupons: %w", err)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// ArchiveCoupon stops a coupon from attributing conversions.
func (s *CouponService) ArchiveCoupon(ctx context.Context, id string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE coupons SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL`, ms(tx.now), id)
		if err != nil {
			return fmt.Errorf("archive coupon: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("archive coupon: %w", err)
		} else if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Coupon not found.")
		}
		return tx.audit(ctx, "coupon.archive", id, nil)
	})
}
