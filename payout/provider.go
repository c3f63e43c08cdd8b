package payout

import (
	"context"

	"github.com/tandem-prm/tandem"
)

// Result is what a provider did with a line.
type Result struct {
	// Settled is false when the line waits for finance (an exported file):
	// it stays sending until someone marks it paid.
	Settled bool
	// Failed is true when the provider refused the line for good; Reason
	// says why, and the line's commissions become payable again.
	Failed    bool
	Reason    string
	Reference string // the provider's ID of the payment
}

// Provider sends one payout line. It must be idempotent by the line's ID:
// sending the same line again (after a crash, a timeout, a retry) never pays
// twice. An error means the outcome is unknown (a network failure, an
// outage): the line stays sending and is sent again later with the same ID.
type Provider interface {
	Send(ctx context.Context, line *tandem.PayoutLine) (Result, error)
}

// Providers maps each method kind to its provider.
type Providers map[tandem.PayoutMethodKind]Provider

// FileExport is the provider of methods paid by uploading a file (PayPal,
// Wise): sending only makes the line part of the batch's file, which
// finance downloads, uploads, and then marks paid with the provider's
// reference.
type FileExport struct{}

// Send implements Provider.
func (FileExport) Send(context.Context, *tandem.PayoutLine) (Result, error) { return Result{}, nil }

// ProductCredit is the provider of product credit: the payment is the
// record itself. The merchant reads paid credit lines through the API
// (GET /payouts?method=product_credit) and applies them in the product.
type ProductCredit struct{}

// Send implements Provider.
func (ProductCredit) Send(_ context.Context, l *tandem.PayoutLine) (Result, error) {
	return Result{Settled: true, Reference: "credit:" + l.Method.Details["customer_id"]}, nil
}

// DefaultProviders are the providers that need no account: files and
// credit. Add a Stripe Connect provider to pay through Stripe.
func DefaultProviders() Providers {
	return Providers{tandem.MethodPayPal: FileExport{}, tandem.MethodWise: FileExport{}, tandem.MethodProductCredit: ProductCredit{}}
}
