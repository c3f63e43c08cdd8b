package ledger

import (
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

// TestLifecycleBalances walks one commission through earning, a partial
// reversal while pending, approval and a clawback, and checks each posting
// and the balances after it.
func TestLifecycleBalances(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, reward := range []tandem.RewardKind{tandem.RewardCash, tandem.RewardCredit} {
		k := &tandem.Commission{ID: "com_1", PartnerID: "prt_1", Currency: "EUR", Amount: 1000, RewardKind: reward, Status: tandem.CommissionPending}
		pending, payable := tandem.AccountPending, tandem.AccountPayable
		if reward == tandem.RewardCredit {
			pending, payable = tandem.AccountCreditPending, tandem.AccountCreditPayable
		}
		b := Balances{}
		step := func(p tandem.Posting, wantPending, wantPayable int64) {
			t.Helper()
			if err := Validate(p); err != nil {
				t.Fatal(err)
			}
			b.Add(p)
			if err := b.CheckZeroSum(); err != nil {
				t.Fatal(err)
			}
			if got := b.Of("prt_1", pending, "EUR"); got != wantPending {
				t.Fatalf("%s %s: pending %d, want %d", reward, p.Kind, got, wantPending)
			}
			if got := b.Of("prt_1", payable, "EUR"); got != wantPayable {
				t.Fatalf("%s %s: payable %d, want %d", reward, p.Kind, got, wantPayable)
			}
		}
		step(Earned(k, now), 1000, 0)
		step(Reversed(k, 300, "cnv_refund1", now, "refund"), 700, 0)
		k.Reversed = 300
		step(Approved(k, now), 0, 700)
		k.Status = tandem.CommissionApproved
		step(Reversed(k, 700, "cnv_refund2", now, "refund"), 0, 0)
		if got := b.Of("", tandem.AccountReversed, "EUR"); got != 1000 {
			t.Fatalf("business reversed %d", got)
		}
	}
}

func TestValidateRefusesBadPostings(t *testing.T) {
	t.Parallel()
	line := func(p string, amount int64) tandem.Line {
		return tandem.Line{Account: tandem.Account{PartnerID: p, Type: tandem.AccountPending, Currency: "USD"}, Amount: amount}
	}
	for name, p := range map[string]tandem.Posting{
		"no key":      {Lines: []tandem.Line{line("a", 5), line("", -5)}},
		"one line":    {SourceKey: "k", Lines: []tandem.Line{line("a", 5)}},
		"unbalanced":  {SourceKey: "k", Lines: []tandem.Line{line("a", 5), line("", -4)}},
		"zero line":   {SourceKey: "k", Lines: []tandem.Line{line("a", 0), line("", 0)}},
		"no currency": {SourceKey: "k", Lines: []tandem.Line{{Account: tandem.Account{Type: tandem.AccountPending}, Amount: 5}, line("", -5)}},
		"two currencies, each unbalanced": {SourceKey: "k", Lines: []tandem.Line{line("a", 5),
			{Account: tandem.Account{Type: tandem.AccountEarned, Currency: "EUR"}, Amount: -5}}},
	} {
		if err := Validate(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
