package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/commission"
	"github.com/tandem-prm/tandem/ledger"
)

// judge runs the commission engine for a conversion that has its partner:
// the plan in force, the partner's volumes, milestones and agreement. It
// reads only; the caller stores what it returns.
func (r *recorder) judge(ctx context.Context, p *tandem.Program, c *tandem.Conversion, firstSale bool, firstSaleAt time.Time) (commission.Outcome, error) {
	if c.PartnerID == "" {
		return commission.Outcome{NoCommission: "Unattributed: " + c.Explanation}, nil
	}
	if commission.Trigger(c.Kind, firstSale) == "" {
		return commission.Judge(commission.Input{Kind: c.Kind}), nil
	}
	if c.Currency != p.Currency {
		return commission.Outcome{NoCommission: fmt.Sprintf("The conversion is in %s and the program pays in %s; Tandem converts no currencies.", c.Currency, p.Currency)}, nil
	}
	plan, err := r.partnerPlan(ctx, p.ID, c.PartnerID)
	if err != nil {
		return commission.Outcome{}, err
	}
	in := commission.Input{Kind: c.Kind, Amount: c.Amount, Currency: p.Currency, OccurredAt: c.OccurredAt, Product: c.Product,
		FirstSale: firstSale, FirstSaleAt: firstSaleAt, Location: r.location(p), PlanName: plan.name}
	if plan.id != "" {
		if in.Version, err = r.versionAt(ctx, plan.id, c.OccurredAt); err != nil {
			return commission.Outcome{}, err
		}
	}
	if in.Version != nil {
		if in.Volumes, err = r.volumes(ctx, p.ID, c.PartnerID, commission.Windows(in.Version, c.OccurredAt, in.Location)); err != nil {
			return commission.Outcome{}, err
		}
		if in.Awarded, err = r.awardedMilestones(ctx, p.ID, c.PartnerID); err != nil {
			return commission.Outcome{}, err
		}
		if in.AgreementAccepted, err = r.agreementAccepted(ctx, p.ID, c.PartnerID); err != nil {
			return commission.Outcome{}, err
		}
	}
	return commission.Judge(in), nil
}

func programLocation(p *tandem.Program) *time.Location {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// queryVolumes returns the partner's attributed revenue and new customers
// in each window, as stored so far.
func (tx *Tx) queryVolumes(ctx context.Context, programID, partnerID string, windows []commission.Window) (map[commission.Window]commission.Volume, error) {
	out := make(map[commission.Window]commission.Volume, len(windows))
	for _, w := range windows {
		from, to := windowBounds(w)
		var v commission.Volume
		if err := tx.QueryRowContext(ctx, `
			SELECT COALESCE(CAST(SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END) AS BIGINT), 0)
			FROM conversions c JOIN programs p ON p.id = c.program_id AND p.currency = c.currency
			WHERE c.program_id = $1 AND c.partner_id = $2 AND c.kind IN ('sale', 'renewal', 'refund')
			  AND c.occurred_at >= $3 AND c.occurred_at < $4`, programID, partnerID, from, to).Scan(&v.Revenue); err != nil {
			return nil, fmt.Errorf("partner revenue: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM customers WHERE program_id = $1 AND partner_id = $2 AND first_sale_at >= $3 AND first_sale_at < $4`,
			programID, partnerID, from, to).Scan(&v.Customers); err != nil {
			return nil, fmt.Errorf("partner customers: %w", err)
		}
		out[w] = v
	}
	return out, nil
}

// windowBounds returns a window's [from, to) in stored milliseconds.
func windowBounds(w commission.Window) (from, to int64) {
	if w.Start.IsZero() {
		return 0, 1 << 62
	}
	return ms(w.Start), ms(w.End)
}

func (tx *Tx) queryAwardedMilestones(ctx context.Context, programID, partnerID string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rule_key FROM commissions WHERE program_id = $1 AND partner_id = $2 AND kind = 'milestone'`, programID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("awarded milestones: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("awarded milestones: %w", err)
		}
		out[key] = true
	}
	return out, rows.Err()
}

// queryAgreementAccepted reports whether the partner accepted the program's
// current agreement (true when it has none).
func (tx *Tx) queryAgreementAccepted(ctx context.Context, programID, partnerID string) (bool, error) {
	current, err := findCurrentAgreement(ctx, tx, programID)
	if err != nil || current == nil {
		return current == nil, err
	}
	found, err := findAcceptances(ctx, tx, acceptanceFilter{partnerID: partnerID, versionID: current.ID})
	return len(found) > 0, err
}

// newCommissions returns the commissions an outcome gives the stored
// conversion c.
func newCommissions(c *tandem.Conversion, out commission.Outcome, now time.Time) []*tandem.Commission {
	ks := make([]*tandem.Commission, len(out.Commissions))
	for i := range out.Commissions {
		k := out.Commissions[i]
		k.ID, k.ProgramID, k.PartnerID, k.ConversionID, k.CustomerID, k.CreatedAt =
			newTimeID(tandem.PrefixCommission, now), c.ProgramID, c.PartnerID, c.ID, c.CustomerID, now
		ks[i] = &k
	}
	return ks
}

const commissionInsert = `INSERT INTO commissions (id, program_id, partner_id, conversion_id, customer_id, plan_version_id, rule_key, kind,
	reward_kind, amount, currency, status, blocked_by, manual_review, explanation, occurred_at, hold_until, created_at)`

// commissionRow is the values of commissionInsert for k.
func commissionRow(k *tandem.Commission) []any {
	return []any{k.ID, k.ProgramID, k.PartnerID, k.ConversionID, nullable(k.CustomerID), k.PlanVersionID, k.RuleKey, k.Kind,
		k.RewardKind, k.Amount, k.Currency, k.Status, k.BlockedBy, k.ManualReview, k.Explanation, ms(k.OccurredAt), ms(k.HoldUntil), ms(k.CreatedAt)}
}

// storeCommissions inserts the outcome's commissions of a stored conversion
// and posts what they earn.
func (r *recorder) storeCommissions(ctx context.Context, c *tandem.Conversion, out commission.Outcome) error {
	tx := r.tx
	for _, k := range newCommissions(c, out, tx.now) {
		tail := ""
		if k.Kind == tandem.CommissionMilestone {
			tail = "ON CONFLICT DO NOTHING" // awarded by a concurrent conversion: once only
		}
		if n, err := tx.insertRows(ctx, commissionInsert, tail, [][]any{commissionRow(k)}); err != nil {
			return fmt.Errorf("insert commission: %w", err)
		} else if n == 0 {
			continue
		}
		if k.MovesMoney() {
			if _, err := tx.post(ctx, ledger.Earned(k, tx.now)); err != nil {
				return err
			}
		}
		c.Commissions = append(c.Commissions, k)
	}
	return nil
}

// refund records a refund of an earlier sale or renewal and takes back the
// refunded share of its commissions.
func (r *recorder) refund(ctx context.Context, p *tandem.Program, c *tandem.Conversion, in tandem.ConversionInput, hash string) (*tandem.Conversion, error) {
	tx := r.tx
	sale, err := findConversion(ctx, tx, "c.program_id = $1 AND c.event_id = $2", p.ID, in.Parent)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return nil, err
	}
	if sale == nil || sale.Kind != tandem.ConversionSale && sale.Kind != tandem.ConversionRenewal {
		return nil, tandem.Invalidf("refund_of", "No sale or renewal with event ID %q in this program.", in.Parent)
	}
	if in.Currency != "" && in.Currency != sale.Currency {
		return nil, tandem.Invalidf("currency", "The refund is in %s but the sale was in %s.", in.Currency, sale.Currency)
	}
	left := sale.Amount - sale.Refunded
	if c.Amount == 0 {
		c.Amount = left
	}
	if left == 0 {
		return nil, tandem.Invalidf("refund_of", "Sale %q is already fully refunded.", in.Parent)
	}
	if c.Amount > left {
		return nil, tandem.Invalidf("amount", "The refund of %s is more than what is left of the sale (%s).",
			tandem.FormatAmount(c.Amount, sale.Currency), tandem.FormatAmount(left, sale.Currency))
	}
	res, err := tx.ExecContext(ctx, `UPDATE conversions SET refunded = refunded + $1 WHERE id = $2 AND refunded + $1 <= amount`, c.Amount, sale.ID)
	if err != nil {
		return nil, fmt.Errorf("record refund on sale: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("record refund on sale: %w", err)
	} else if n == 0 {
		return nil, tandem.Invalidf("amount", "The sale was refunded by another event meanwhile; what is left is less than this refund.")
	}
	c.Currency, c.ParentID, c.CustomerID, c.PartnerID = sale.Currency, sale.ID, sale.CustomerID, sale.PartnerID
	c.Attribution = sale.Attribution
	c.Explanation = fmt.Sprintf("Refund of %s of sale %s.", tandem.FormatAmount(c.Amount, c.Currency), sale.EventID)
	c.NoCommission = "A refund earns no commission; it takes back the refunded share of the sale's commissions."
	if err := tx.insertConversion(ctx, c, hash); err != nil {
		return nil, err
	}
	for _, rv := range commission.Reverse(sale.Amount, sale.Refunded, c.Amount, sale.Commissions) {
		k := findByID(sale.Commissions, rv.CommissionID)
		if err := tx.reverseCommission(ctx, k, rv.Amount, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func findByID(cs []*tandem.Commission, id string) *tandem.Commission {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// reverseCommission takes amount back from a commission because of a refund
// (the conversion by): from pending while it is pending, as a clawback on
// payable after.
func (tx *Tx) reverseCommission(ctx context.Context, k *tandem.Commission, amount int64, by *tandem.Conversion) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE commissions SET reversed_amount = reversed_amount + $1,
			status = CASE WHEN reversed_amount + $1 >= amount THEN 'reversed' ELSE status END
		WHERE id = $2 AND reversed_amount + $1 <= amount AND status = $3`, amount, k.ID, k.Status)
	if err != nil {
		return fmt.Errorf("reverse commission: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("reverse commission: %w", err)
	} else if n == 0 {
		return tandem.Errorf(tandem.ECONFLICT, "Commission %s changed while the refund was recorded; send the refund again.", k.ID)
	}
	if k.MovesMoney() {
		memo := fmt.Sprintf("%s taken back: refund %s", tandem.FormatAmount(amount, k.Currency), by.EventID)
		if _, err := tx.post(ctx, ledger.Reversed(k, amount, by.ID, tx.now, memo)); err != nil {
			return err
		}
	}
	k.Reversed += amount
	if k.Reversed >= k.Amount {
		k.Status = tandem.CommissionReversed
	}
	return nil
}

// cancellation records the end of a customer's subscription: later
// renewals are refused and earn nothing.
func (r *recorder) cancellation(ctx context.Context, p *tandem.Program, c *tandem.Conversion, in tandem.ConversionInput, hash string) (*tandem.Conversion, error) {
	tx := r.tx
	key := customerKey(in)
	var cond, arg string
	switch {
	case key != "":
		cond, arg = "external_id = $2", key
	case in.Parent != "":
		cond, arg = "id = (SELECT customer_id FROM conversions WHERE program_id = $1 AND event_id = $2)", in.Parent
	}
	var partnerID *string
	err := tx.QueryRowContext(ctx, `SELECT id, partner_id FROM customers WHERE program_id = $1 AND `+cond, p.ID, arg).Scan(&c.CustomerID, &partnerID)
	if isNoRows(err) {
		return nil, tandem.Invalidf("customer", "No customer %q in this program to cancel.", strings.TrimPrefix(arg, "email:"))
	} else if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	if partnerID != nil {
		c.PartnerID = *partnerID
	}
	c.Amount = 0
	c.Explanation = "Subscription cancelled."
	c.NoCommission = "A cancellation earns no commission; it ends the customer's recurring commissions."
	if err := tx.insertConversion(ctx, c, hash); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL`, ms(c.OccurredAt), c.CustomerID); err != nil {
		return nil, fmt.Errorf("cancel customer: %w", err)
	}
	return c, nil
}

const commissionColumns = `k.id, k.program_id, k.partner_id, k.conversion_id, COALESCE(k.customer_id, ''), k.plan_version_id, k.rule_key,
	k.kind, k.reward_kind, k.amount, k.currency, k.reversed_amount, k.status, k.blocked_by, k.manual_review, k.explanation,
	k.occurred_at, k.hold_until, k.approved_at, k.reason, k.paid_at, k.created_at`

// findCommissions returns commissions matching the filter, newest first.
func findCommissions(ctx context.Context, tx *Tx, f tandem.CommissionFilter) ([]*tandem.Commission, error) {
	var w where
	w.eq("k.program_id", f.ProgramID)
	w.eq("k.partner_id", f.PartnerID)
	w.eq("k.conversion_id", f.ConversionID)
	w.eq("k.status", string(f.Status))
	return queryCommissions(ctx, tx, `SELECT `+commissionColumns+` FROM commissions k `+w.String()+
		fmt.Sprintf(` ORDER BY k.created_at DESC, k.id DESC LIMIT %d`, limit(f.Limit)), w.args...)
}

// queryCommissions runs a query selecting commissionColumns.
func queryCommissions(ctx context.Context, tx *Tx, query string, args ...any) ([]*tandem.Commission, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find commissions: %w", err)
	}
	defer rows.Close()
	var out []*tandem.Commission
	for rows.Next() {
		k, err := scanCommission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
