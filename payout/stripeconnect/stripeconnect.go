// Package stripeconnect pays payout lines as Stripe Connect transfers to
// the partners' connected accounts, through the official stripe-go library.
//
// Each transfer is created with the payout line's ID as Stripe's
// Idempotency-Key (and in its metadata and transfer group), so sending a
// line again after a crash or a timeout returns the first transfer instead
// of making a second one: a line is never paid twice.
package stripeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// Provider creates Stripe transfers.
type Provider struct {
	client *stripe.Client
}

var _ payout.Provider = (*Provider)(nil)

// New returns a provider with the secret key; apiURL overrides Stripe's
// (stripe-mock in tests) when not empty, and httpClient may be nil.
func New(secretKey, apiURL string, httpClient *http.Client) *Provider {
	var retries int64 = 2 // stripe-go retries network errors with the same idempotency key
	cfg := &stripe.BackendConfig{MaxNetworkRetries: &retries, HTTPClient: httpClient}
	if apiURL != "" {
		cfg.URL = stripe.String(strings.TrimSuffix(apiURL, "/"))
	}
	backends := &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, cfg)}
	return &Provider{client: stripe.NewClient(secretKey, stripe.WithBackends(backends))}
}

// Send implements payout.Provider: one transfer of the line's amount to the
// partner's connected account. Stripe's refusal of the request (a closed
// account, an unsupported currency, insufficient platform funds) fails the
// line with Stripe's message; anything else (network, 5xx, rate limits) is
// returned as an error so the line is sent again with the same key.
func (p *Provider) Send(ctx context.Context, l *tandem.PayoutLine) (payout.Result, error) {
	params := &stripe.TransferCreateParams{
		Amount:        stripe.Int64(l.Amount),
		Currency:      stripe.String(strings.ToLower(l.Currency)),
		Destination:   stripe.String(l.Method.Details["account_id"]),
		TransferGroup: stripe.String(l.BatchID),
		Description:   stripe.String("Partner commissions, payout " + l.ID),
		Metadata:      map[string]string{"payout_id": l.ID, "partner_id": l.PartnerID},
	}
	params.SetIdempotencyKey(l.ID)
	tr, err := p.client.V1Transfers.Create(ctx, params)
	if err == nil {
		return payout.Result{Settled: true, Reference: tr.ID}, nil
	}
	var se *stripe.Error
	if errors.As(err, &se) && permanent(se) {
		return payout.Result{Settled: true, Failed: true, Reason: "Stripe: " + se.Msg}, nil
	}
	return payout.Result{}, fmt.Errorf("stripe transfer %s: %w", l.ID, err)
}

// permanent reports whether Stripe refused the request itself, so sending
// it again cannot succeed.
func permanent(e *stripe.Error) bool {
	switch e.Type {
	case stripe.ErrorTypeInvalidRequest, stripe.ErrorTypeCard:
		return e.HTTPStatusCode >= 400 && e.HTTPStatusCode < 500 && e.HTTPStatusCode != http.StatusTooManyRequests && e.HTTPStatusCode != http.StatusConflict
	}
	return false
}
