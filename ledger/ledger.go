// Package ledger builds and checks Tandem's double-entry postings, in plain
// Go with no SQL or HTTP.
//
// Every movement of a partner's money is a posting whose lines sum to zero in
// each currency: what a partner account gains, a business account (or another
// of the partner's accounts) loses. Balances are never stored as the truth;
// they are the sums of lines (see [Balances]). Postings are immutable: a
// correction is a new posting.
//
// The commission lifecycle maps to postings so (X the commission's amount, R
// a reversal):
//
//	earned               partner pending  +X   business commissions_earned   −X
//	approved             partner pending  −X   partner payable               +X
//	rejected             partner pending  −X   business commissions_earned   +X
//	reversed (pending)   partner pending  −R   business commissions_reversed +R
//	reversed (approved)  partner payable  −R   business commissions_reversed +R
//	paid                 partner payable  −X   partner paid                  +X
//
// A reversal after approval may leave payable negative: a clawback, netted
// from the next payout. Product credit uses the credit_* accounts instead of
// pending, payable and paid; gifts post nothing.
package ledger

import (
	"fmt"
	"sort"
	"time"

	"github.com/tandem-prm/tandem"
)

// family is the set of partner accounts a reward kind moves through.
type family struct{ pending, payable, paid tandem.AccountType }

var (
	cash   = family{tandem.AccountPending, tandem.AccountPayable, tandem.AccountPaid}
	credit = family{tandem.AccountCreditPending, tandem.AccountCreditPayable, tandem.AccountCreditIssued}
)

func familyOf(c *tandem.Commission) family {
	if c.RewardKind == tandem.RewardCredit {
		return credit
	}
	return cash
}

func partner(c *tandem.Commission, t tandem.AccountType) tandem.Account {
	return tandem.Account{PartnerID: c.PartnerID, Type: t, Currency: c.Currency}
}

func business(c *tandem.Commission, t tandem.AccountType) tandem.Account {
	return tandem.Account{Type: t, Currency: c.Currency}
}

// transfer is a two-line posting moving amount from one account to another.
func transfer(kind tandem.PostingKind, key string, c *tandem.Commission, at time.Time, memo string, from, to tandem.Account, amount int64) tandem.Posting {
	return tandem.Posting{Kind: kind, SourceKey: key, CommissionID: c.ID, Memo: memo, OccurredAt: at,
		Lines: []tandem.Line{{Account: to, Amount: amount}, {Account: from, Amount: -amount}}}
}

// Earned posts a new commission's amount to the partner's pending account.
func Earned(c *tandem.Commission, at time.Time) tandem.Posting {
	f := familyOf(c)
	return transfer(tandem.PostingEarned, "earned:"+c.ID, c, at, c.Explanation,
		business(c, tandem.AccountEarned), partner(c, f.pending), c.Amount)
}

// Approved moves what is left of a pending commission to payable.
func Approved(c *tandem.Commission, at time.Time) tandem.Posting {
	f := familyOf(c)
	return transfer(tandem.PostingApproved, "approved:"+c.ID, c, at, "Approved",
		partner(c, f.pending), partner(c, f.payable), c.Net())
}

// Rejected takes what is left of a pending commission back from the partner.
func Rejected(c *tandem.Commission, at time.Time, reason string) tandem.Posting {
	f := familyOf(c)
	return transfer(tandem.PostingRejected, "rejected:"+c.ID, c, at, "Rejected: "+reason,
		partner(c, f.pending), business(c, tandem.AccountEarned), c.Net())
}

// Reversed takes amount back from the partner because of a refund: from
// pending while the commission is pending, from payable after (a clawback,
// which may make payable negative). key names the refund, so one refund
// reverses a commission once.
func Reversed(c *tandem.Commission, amount int64, key string, at time.Time, memo string) tandem.Posting {
	f := familyOf(c)
	from := f.payable
	if c.Status == tandem.CommissionPending {
		from = f.pending
	}
	return transfer(tandem.PostingReversed, "reversed:"+c.ID+":"+key, c, at, memo,
		partner(c, from), business(c, tandem.AccountReversed), amount)
}

// Paid moves a paid payout line's amount from the partner's payable
// account to paid (credit_payable to credit_issued for product-credit
// rewards). The line ID is the source key, so a line posts once however
// often it is confirmed.
func Paid(l *tandem.PayoutLine, at time.Time) tandem.Posting {
	f := cash
	if l.Credit {
		f = credit
	}
	acct := func(t tandem.AccountType) tandem.Account {
		return tandem.Account{PartnerID: l.PartnerID, Type: t, Currency: l.Currency}
	}
	return tandem.Posting{Kind: tandem.PostingPaid, SourceKey: "paid:" + l.ID, OccurredAt: at,
		Memo:  "Payout " + l.ID + " (" + string(l.MethodKind) + ")",
		Lines: []tandem.Line{{Account: acct(f.paid), Amount: l.Amount}, {Account: acct(f.payable), Amount: -l.Amount}}}
}

// Validate checks a posting's shape: a source key, at least two lines, no
// zero or out-of-bounds amount, a currency on every line, and lines that sum
// to zero in each currency.
func Validate(p tandem.Posting) error {
	if p.SourceKey == "" {
		return fmt.Errorf("ledger: posting %s has no source key", p.Kind)
	}
	if len(p.Lines) < 2 {
		return fmt.Errorf("ledger: posting %s has %d lines", p.SourceKey, len(p.Lines))
	}
	sums := map[string]int64{}
	for _, l := range p.Lines {
		if l.Amount == 0 || l.Amount > tandem.MaxAmount || l.Amount < -tandem.MaxAmount {
			return fmt.Errorf("ledger: posting %s has a line of %d", p.SourceKey, l.Amount)
		}
		if l.Account.Currency == "" || l.Account.Type == "" {
			return fmt.Errorf("ledger: posting %s has a line without an account", p.SourceKey)
		}
		sums[l.Account.Currency] += l.Amount
	}
	for cur, sum := range sums {
		if sum != 0 {
			return fmt.Errorf("ledger: posting %s is off by %d %s", p.SourceKey, sum, cur)
		}
	}
	return nil
}

// Balances sums postings into account balances.
type Balances map[tandem.Account]int64

// Add adds the posting's lines to the balances.
func (b Balances) Add(p tandem.Posting) {
	for _, l := range p.Lines {
		b[l.Account] += l.Amount
	}
}

// Of returns a partner's balance in one account type and currency.
func (b Balances) Of(partnerID string, t tandem.AccountType, currency string) int64 {
	return b[tandem.Account{PartnerID: partnerID, Type: t, Currency: currency}]
}

// List returns the non-zero balances in a stable order.
func (b Balances) List() []tandem.Balance {
	var out []tandem.Balance
	for a, v := range b {
		if v != 0 {
			out = append(out, tandem.Balance{Account: a, Amount: v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i].Account, out[j].Account
		if x.PartnerID != y.PartnerID {
			return x.PartnerID < y.PartnerID
		}
		if x.Currency != y.Currency {
			return x.Currency < y.Currency
		}
		return x.Type < y.Type
	})
	return out
}

// CheckZeroSum reports an error unless the balances of each currency sum to
// zero, as they must when built from valid postings.
func (b Balances) CheckZeroSum() error {
	sums := map[string]int64{}
	for a, v := range b {
		sums[a.Currency] += v
	}
	for cur, sum := range sums {
		if sum != 0 {
			return fmt.Errorf("ledger: %s accounts sum to %d, not zero", cur, sum)
		}
	}
	return nil
}
