package tandem

import "time"

// AccountType is a ledger account's role. Partner accounts hold what the
// business owes a partner at each stage; business accounts mirror them, so
// that every posting sums to zero.
type AccountType string

// Account types. A positive partner balance is money owed to the partner.
const (
	AccountPending       AccountType = "pending"        // earned, still held
	AccountPayable       AccountType = "payable"        // approved, not yet paid (negative after a clawback)
	AccountPaid          AccountType = "paid"           // paid out
	AccountCreditPending AccountType = "credit_pending" // the same three for product credit
	AccountCreditPayable AccountType = "credit_payable"
	AccountCreditIssued  AccountType = "credit_issued"
	AccountEarned        AccountType = "commissions_earned" // business
	AccountReversed      AccountType = "commissions_reversed"
)

// Account is one ledger account: a partner's (PartnerID set) or the
// business's (PartnerID empty), in one currency.
type Account struct {
	PartnerID string      `json:"partner_id,omitempty"`
	Type      AccountType `json:"type"`
	Currency  string      `json:"currency"`
}

// PostingKind is the event a posting records.
type PostingKind string

// Posting kinds.
const (
	PostingEarned   PostingKind = "commission_earned"
	PostingApproved PostingKind = "commission_approved"
	PostingRejected PostingKind = "commission_rejected"
	PostingReversed PostingKind = "commission_reversed"
	PostingPaid     PostingKind = "payout_paid"
)

// Posting is one immutable ledger entry: lines that sum to zero in each
// currency. SourceKey names what caused it (commission_earned:com_…) and is
// unique, so recording the same event twice posts once.
type Posting struct {
	ID           string      `json:"id"`
	Kind         PostingKind `json:"kind"`
	SourceKey    string      `json:"source_key"`
	CommissionID string      `json:"commission_id,omitempty"`
	Memo         string      `json:"memo"`
	OccurredAt   time.Time   `json:"occurred_at"`
	Lines        []Line      `json:"lines"`
}

// Line is one side of a posting: a signed amount on one account.
type Line struct {
	Account Account `json:"account"`
	Amount  int64   `json:"amount"`
}

// Balance is an account's balance, derived from its lines.
type Balance struct {
	Account
	Amount int64 `json:"amount"`
}
