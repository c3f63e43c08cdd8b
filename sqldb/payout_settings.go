package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// PayoutService stores payout settings, methods, batches and lines, and
// settles lines with what providers answer (see payout_batch.go and
// payout_send.go).
type PayoutService struct{ db *DB }

var _ tandem.PayoutService = (*PayoutService)(nil)

// NewPayoutService returns the payouts of db.
func NewPayoutService(db *DB) *PayoutService { return &PayoutService{db: db} }

// Settings returns a program's payout settings; a program that saved none
// pays manually, in its currency and time zone, through every method, with
// no minimum.
func (s *PayoutService) Settings(ctx context.Context, programID string) (*tandem.PayoutSettings, error) {
	var out *tandem.PayoutSettings
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = tx.payoutSettings(ctx, programID)
		return err
	})
	return out, err
}

func (tx *Tx) payoutSettings(ctx context.Context, programID string) (*tandem.PayoutSettings, error) {
	p, err := findProgramByID(ctx, tx, programID)
	if err != nil {
		return nil, err
	}
	st := &tandem.PayoutSettings{ProgramID: p.ID, Schedule: tandem.ScheduleManual, Currency: p.Currency, TimeZone: p.TimeZone, Minimums: map[string]int64{}}
	var methods string
	err = tx.QueryRowContext(ctx, `SELECT schedule, day_of_month, weekday, net_days, currency, methods, time_zone
		FROM payout_settings WHERE program_id = $1`, programID).Scan(&st.Schedule, &st.DayOfMonth, &st.Weekday, &st.NetDays, &st.Currency, &methods, &st.TimeZone)
	if err != nil && !isNoRows(err) {
		return nil, fmt.Errorf("payout settings: %w", err)
	}
	for _, m := range strings.Fields(methods) {
		st.Methods = append(st.Methods, tandem.PayoutMethodKind(m))
	}
	rows, err := tx.QueryContext(ctx, `SELECT currency, amount FROM payout_minimums WHERE program_id = $1`, programID)
	if err != nil {
		return nil, fmt.Errorf("payout minimums: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cur string
		var amount int64
		if err := rows.Scan(&cur, &amount); err != nil {
			return nil, fmt.Errorf("payout minimums: %w", err)
		}
		st.Minimums[cur] = amount
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return st, payout.ValidateSettings(st, p.Currency)
}

// SaveSettings checks and stores a program's payout settings.
func (s *PayoutService) SaveSettings(ctx context.Context, st *tandem.PayoutSettings) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		p, err := findProgramByID(ctx, tx, st.ProgramID)
		if err != nil {
			return err
		}
		if st.TimeZone == "" {
			st.TimeZone = p.TimeZone
		}
		if err := payout.ValidateSettings(st, p.Currency); err != nil {
			return err
		}
		var methods []string
		for _, m := range st.Methods {
			methods = append(methods, string(m))
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO payout_settings (program_id, schedule, day_of_month, weekday, net_days, currency, methods, time_zone, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (program_id) DO UPDATE SET schedule = excluded.schedule, day_of_month = excluded.day_of_month,
				weekday = excluded.weekday, net_days = excluded.net_days, currency = excluded.currency, methods = excluded.methods,
				time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
			p.ID, st.Schedule, st.DayOfMonth, int(st.Weekday), st.NetDays, st.Currency, strings.Join(methods, " "), st.TimeZone, ms(tx.now)); err != nil {
			return fmt.Errorf("save payout settings: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM payout_minimums WHERE program_id = $1`, p.ID); err != nil {
			return fmt.Errorf("save payout minimums: %w", err)
		}
		curs := make([]string, 0, len(st.Minimums))
		for cur := range st.Minimums {
			curs = append(curs, cur)
		}
		slices.Sort(curs)
		for _, cur := range curs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO payout_minimums (program_id, currency, amount) VALUES ($1, $2, $3)`,
				p.ID, strings.ToUpper(cur), st.Minimums[cur]); err != nil {
				return fmt.Errorf("save payout minimum: %w", err)
			}
		}
		return tx.audit(ctx, "payout.settings", p.ID, st)
	})
}

// SetMethod checks the details, archives the partner's current method and
// stores the new one. It is audited (without the details) and emailed to
// the partner, so a hijacked account cannot redirect payouts unnoticed.
func (s *PayoutService) SetMethod(ctx context.Context, partnerID string, kind tandem.PayoutMethodKind, details map[string]string) (*tandem.PayoutMethod, error) {
	clean, display, err := payout.ValidateMethod(kind, details)
	if err != nil {
		return nil, err
	}
	m := &tandem.PayoutMethod{ID: tandem.NewID(tandem.PrefixMethod), PartnerID: partnerID, Kind: kind, Details: clean, Display: display}
	err = s.db.inWriteTx(ctx, func(tx *Tx) error {
		p, err := findPartnerByID(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		m.CreatedAt = tx.now
		old, err := tx.activeMethod(ctx, partnerID)
		if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payout_methods SET status = 'archived', archived_at = $1 WHERE partner_id = $2 AND status = 'active'`,
			ms(tx.now), partnerID); err != nil {
			return fmt.Errorf("archive payout method: %w", err)
		}
		b, err := json.Marshal(clean)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payout_methods (id, partner_id, kind, details, display, status, created_at)
			VALUES ($1, $2, $3, $4, $5, 'active', $6)`, m.ID, partnerID, kind, string(b), display, ms(tx.now)); err != nil {
			if isUniqueViolation(err) {
				return tandem.Errorf(tandem.ECONFLICT, "The payout method was changed at the same moment elsewhere; reload and try again.")
			}
			return fmt.Errorf("insert payout method: %w", err)
		}
		detail := map[string]string{"kind": string(kind), "display": display}
		if old != nil {
			detail["previous"] = old.Display
		}
		if err := tx.audit(ctx, "payout.method_changed", partnerID, detail); err != nil {
			return err
		}
		return tx.queueEmail(ctx, p.Email, p.Name, "payout_method_changed", emailData{RecipientName: p.Name, LinkPath: "/portal/payouts", Reason: display})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Method returns the partner's active payout method, ENOTFOUND if none.
func (s *PayoutService) Method(ctx context.Context, partnerID string) (*tandem.PayoutMethod, error) {
	var m *tandem.PayoutMethod
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		m, err = tx.activeMethod(ctx, partnerID)
		return err
	})
	return m, err
}

func (tx *Tx) activeMethod(ctx context.Context, partnerID string) (*tandem.PayoutMethod, error) {
	m := &tandem.PayoutMethod{PartnerID: partnerID}
	var details string
	err := tx.QueryRowContext(ctx, `SELECT id, kind, details, display, created_at FROM payout_methods WHERE partner_id = $1 AND status = 'active'`,
		partnerID).Scan(&m.ID, &m.Kind, &details, &m.Display, timeCol(&m.CreatedAt))
	if isNoRows(err) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "The partner has no payout method.")
	} else if err != nil {
		return nil, fmt.Errorf("payout method: %w", err)
	}
	if err := json.Unmarshal([]byte(details), &m.Details); err != nil {
		return nil, fmt.Errorf("payout method details: %w", err)
	}
	return m, nil
}

// SaveTaxInfo stores a partner's tax status: the form kind with its file
// (form, when given, is stored and marked received now) and the VAT ID.
func (s *PayoutService) SaveTaxInfo(ctx context.Context, t *tandem.TaxInfo, form *tandem.Upload) error {
	var file *tandem.StoredFile
	if form != nil {
		var err error
		if file, err = newStoredFile(form); err != nil {
			return err
		}
		t.FormFileID = file.ID
	}
	switch t.FormKind {
	case "", "W-9", "W-8BEN", "W-8BEN-E":
	default:
		return tandem.Invalidf("form_kind", "The tax form is a W-9, W-8BEN or W-8BEN-E.")
	}
	t.VATID = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(t.VATID), " ", ""))
	if len(t.VATID) > 0 && (len(t.VATID) < 4 || len(t.VATID) > 20) {
		return tandem.Invalidf("vat_id", "A VAT ID has 4 to 20 characters, starting with the country code (DE123456789).")
	}
	if t.FormKind == "" && file != nil {
		return tandem.Invalidf("form_kind", "Say which form the file is.")
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		var received any
		if file != nil {
			if err := tx.insertFile(ctx, file); err != nil {
				return err
			}
			t.ReceivedAt = tx.now
			received = ms(tx.now)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO partner_tax (partner_id, form_kind, form_file_id, received_at, vat_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (partner_id) DO UPDATE SET form_kind = excluded.form_kind,
				form_file_id = COALESCE(excluded.form_file_id, partner_tax.form_file_id),
				received_at = COALESCE(excluded.received_at, partner_tax.received_at), vat_id = excluded.vat_id, updated_at = excluded.updated_at`,
			t.PartnerID, t.FormKind, nullable(t.FormFileID), received, t.VATID, ms(tx.now)); err != nil {
			return fmt.Errorf("save tax info: %w", err)
		}
		return tx.audit(ctx, "payout.tax_info", t.PartnerID, map[string]string{"form_kind": t.FormKind, "vat_id": t.VATID})
	})
}

// TaxInfo returns a partner's tax status (empty when none was given).
func (s *PayoutService) TaxInfo(ctx context.Context, partnerID string) (*tandem.TaxInfo, error) {
	t := &tandem.TaxInfo{PartnerID: partnerID}
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var file *string
		err := tx.QueryRowContext(ctx, `SELECT form_kind, form_file_id, received_at, vat_id FROM partner_tax WHERE partner_id = $1`, partnerID).
			Scan(&t.FormKind, &file, timeCol(&t.ReceivedAt), &t.VATID)
		if file != nil {
			t.FormFileID = *file
		}
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("tax info: %w", err)
		}
		return nil
	})
	return t, err
}
