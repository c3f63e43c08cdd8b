package tandem

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Coupon is a discount code mapped to a partner: a conversion that names it
// is attributed to that partner (after the customer's lifetime partner and an
// explicit referral, before clicks).
type Coupon struct {
	ID         string    `json:"id"`
	ProgramID  string    `json:"program_id"`
	PartnerID  string    `json:"partner_id"`
	Code       string    `json:"code"`
	CreatedAt  time.Time `json:"created_at"`
	ArchivedAt time.Time `json:"archived_at,omitzero"`
}

var couponPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,63}$`)

// NormalizeCoupon returns a coupon code as Tandem stores and compares it
// (trimmed, upper case), or an error naming the field "code".
func NormalizeCoupon(code string) (string, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if !couponPattern.MatchString(code) {
		return "", Invalidf("code", "A coupon code is 3 to 64 letters, digits, dashes or underscores, such as JANE20.")
	}
	return code, nil
}

// CouponService maps coupon codes to partners.
type CouponService interface {
	// CreateCoupon maps a code to a partner of the program; a code is unique
	// per program (ECONFLICT).
	CreateCoupon(ctx context.Context, programID, partnerID, code string) (*Coupon, error)
	// Coupons lists a program's live coupons, optionally of one partner.
	Coupons(ctx context.Context, programID, partnerID string) ([]*Coupon, error)
	// ArchiveCoupon stops a code from attributing; its code stays taken.
	ArchiveCoupon(ctx context.Context, id string) error
}
