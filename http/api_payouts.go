package http

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// The API of payout settings, batches, lines and payable balances.

// PayoutSettingsOutput is a program's payout settings.
type PayoutSettingsOutput struct {
	Body *tandem.PayoutSettings
}

type saveSettingsInput struct {
	ProgramID string `path:"id"`
	Body      tandem.PayoutSettings
}

type batchIDInput struct {
	ID string `path:"id"`
}

// BatchOutput is one batch with its lines and the partners it skipped.
type BatchOutput struct {
	Body *tandem.PayoutBatch
}

type listBatchesInput struct {
	ProgramID string `query:"program_id"`
	Limit     int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// BatchesOutput is a list of batches, newest first (without their lines).
type BatchesOutput struct {
	Body struct {
		Data []*tandem.PayoutBatch `json:"data"`
	}
}

type listLinesInput struct {
	BatchID   string                  `query:"batch_id"`
	PartnerID string                  `query:"partner_id"`
	Status    tandem.LineStatus       `query:"status" enum:"proposed,held,cancelled,approved,sending,paid,failed"`
	Method    tandem.PayoutMethodKind `query:"method" enum:"paypal,wise,stripe_connect,product_credit" doc:"product_credit lists the credit to apply in the product."`
	Limit     int                     `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

// LinesOutput is a list of payout lines.
type LinesOutput struct {
	Body struct {
		Data []*tandem.PayoutLine `json:"data"`
	}
}

type lineIDInput struct {
	ID string `path:"id"`
}

type holdInput struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason" maxLength:"500" doc:"Why the partner's commissions are held; they wait until released."`
	}
}

type markPaidInput struct {
	ID   string `path:"id"`
	Body struct {
		LineIDs   []string `json:"line_ids,omitempty" maxItems:"5000" doc:"The lines (pay_…); every exported line of the batch when left out."`
		Reference string   `json:"reference" maxLength:"200" doc:"The provider's reference of the payment, e.g. PayPal's batch ID."`
	}
}

// ChangedOutput says how many rows changed.
type ChangedOutput struct {
	Body struct {
		Changed int `json:"changed"`
	}
}

type exportInput struct {
	ID     string                  `path:"id"`
	Method tandem.PayoutMethodKind `path:"method" enum:"paypal,wise"`
}

// FileOutput is a downloadable file.
type FileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type requestPayoutInput struct {
	ProgramID string `path:"id"`
	Body      struct {
		PartnerID string `json:"partner_id" doc:"The partner (prt_…) whose eligible balance to pay."`
	}
}

// LineOutput is one payout line.
type LineOutput struct {
	Body *tandem.PayoutLine
}

type balancesInput struct {
	PartnerID string `query:"partner_id" doc:"One partner, with what the next batch would pay them and why not."`
}

// PayableBalancesOutput is payable balances per partner and currency.
type PayableBalancesOutput struct {
	Body struct {
		Data []*tandem.PartnerBalance `json:"data"`
	}
}

func (s *Server) apiPayoutRoutes(api huma.API) {
	tags := []string{"Payouts"}
	huma.Register(api, huma.Operation{OperationID: "get-payout-settings", Method: http.MethodGet, Path: "/programs/{id}/payout-settings",
		Tags: tags, Summary: "A program's payout schedule, net terms, minimums and methods"}, s.apiPayoutSettings)
	huma.Register(api, huma.Operation{OperationID: "save-payout-settings", Method: http.MethodPut, Path: "/programs/{id}/payout-settings",
		Tags: tags, Summary: "Change a program's payout settings"}, s.apiSavePayoutSettings)
	huma.Register(api, huma.Operation{OperationID: "propose-payout-batch", Method: http.MethodPost, Path: "/programs/{id}/payout-batches",
		Tags: tags, Summary: "Propose a batch now: every eligible partner, and who was skipped and why",
		Description: "Adds to the program's open batch when there is one.", DefaultStatus: http.StatusCreated}, s.apiProposeBatch)
	huma.Register(api, huma.Operation{OperationID: "request-payout", Method: http.MethodPost, Path: "/programs/{id}/payout-requests",
		Tags: tags, Summary: "Put one partner's eligible balance in the open batch", DefaultStatus: http.StatusCreated}, s.apiRequestPayout)
	huma.Register(api, huma.Operation{OperationID: "list-payout-batches", Method: http.MethodGet, Path: "/payout-batches",
		Tags: tags, Summary: "List payout batches, newest first"}, s.apiListBatches)
	huma.Register(api, huma.Operation{OperationID: "get-payout-batch", Method: http.MethodGet, Path: "/payout-batches/{id}",
		Tags: tags, Summary: "A batch with its lines"}, s.apiGetBatch)
	huma.Register(api, huma.Operation{OperationID: "approve-payout-batch", Method: http.MethodPost, Path: "/payout-batches/{id}/approve",
		Tags: tags, Summary: "Approve a proposed batch: freeze its lines and send them",
		Description: "Each line is recomputed (refunds since the proposal lower it) and its commissions become in_payout. " +
			"A batch approved before, or one with nothing to pay, is refused and nothing changes."}, s.apiApproveBatch)
	huma.Register(api, huma.Operation{OperationID: "cancel-payout-batch", Method: http.MethodPost, Path: "/payout-batches/{id}/cancel",
		Tags: tags, Summary: "Cancel a batch before sending; its commissions return to the next batch", DefaultStatus: http.StatusNoContent}, s.apiCancelBatch)
	huma.Register(api, huma.Operation{OperationID: "mark-payout-lines-paid", Method: http.MethodPost, Path: "/payout-batches/{id}/mark-paid",
		Tags: tags, Summary: "Mark exported PayPal or Wise lines paid, with the provider's reference",
		Description: "A line already paid is refused (409) and nothing changes."}, s.apiMarkPaid)
	huma.Register(api, huma.Operation{OperationID: "export-payout-file", Method: http.MethodGet, Path: "/payout-batches/{id}/export/{method}",
		Tags: tags, Summary: "Download the PayPal Payouts or Wise batch CSV of the batch's sent lines"}, s.apiExportBatch)
	huma.Register(api, huma.Operation{OperationID: "list-payout-lines", Method: http.MethodGet, Path: "/payouts",
		Tags: tags, Summary: "List payout lines"}, s.apiListLines)
	huma.Register(api, huma.Operation{OperationID: "remove-payout-line", Method: http.MethodPost, Path: "/payouts/{id}/remove",
		Tags: tags, Summary: "Take a proposed line out of its batch", DefaultStatus: http.StatusNoContent}, s.apiRemoveLine)
	huma.Register(api, huma.Operation{OperationID: "hold-payout-line", Method: http.MethodPost, Path: "/payouts/{id}/hold",
		Tags: tags, Summary: "Hold a proposed line: its commissions wait until released", DefaultStatus: http.StatusNoContent}, s.apiHoldLine)
	huma.Register(api, huma.Operation{OperationID: "release-payout-holds", Method: http.MethodPost, Path: "/partners/{id}/payout-holds/release",
		Tags: tags, Summary: "Release a partner's held commissions for the next batch"}, s.apiReleaseHolds)
	huma.Register(api, huma.Operation{OperationID: "list-payable-balances", Method: http.MethodGet, Path: "/payout-balances",
		Tags: tags, Summary: "Payable balances by partner and currency; negative ones are debts from clawbacks"}, s.apiPayableBalances)
}

func (s *Server) apiPayoutSettings(ctx context.Context, in *programIDInput) (*PayoutSettingsOutput, error) {
	st, err := s.services.Payouts.Settings(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &PayoutSettingsOutput{Body: st}, nil
}

func (s *Server) apiSavePayoutSettings(ctx context.Context, in *saveSettingsInput) (*PayoutSettingsOutput, error) {
	in.Body.ProgramID = in.ProgramID
	if err := s.services.Payouts.SaveSettings(ctx, &in.Body); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &PayoutSettingsOutput{Body: &in.Body}, nil
}

func (s *Server) apiProposeBatch(ctx context.Context, in *programIDInput) (*BatchOutput, error) {
	b, err := s.services.Payouts.Propose(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &BatchOutput{Body: b}, nil
}

func (s *Server) apiRequestPayout(ctx context.Context, in *requestPayoutInput) (*LineOutput, error) {
	l, err := s.services.Payouts.RequestPayout(ctx, in.ProgramID, in.Body.PartnerID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &LineOutput{Body: l}, nil
}

func (s *Server) apiListBatches(ctx context.Context, in *listBatchesInput) (*BatchesOutput, error) {
	bs, err := s.services.Payouts.Batches(ctx, in.ProgramID, in.Limit)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &BatchesOutput{}
	out.Body.Data = append([]*tandem.PayoutBatch{}, bs...)
	return out, nil
}

func (s *Server) apiGetBatch(ctx context.Context, in *batchIDInput) (*BatchOutput, error) {
	b, err := s.services.Payouts.Batch(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &BatchOutput{Body: b}, nil
}

func (s *Server) apiApproveBatch(ctx context.Context, in *batchIDInput) (*BatchOutput, error) {
	b, err := s.services.Payouts.ApproveBatch(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &BatchOutput{Body: b}, nil
}

func (s *Server) apiCancelBatch(ctx context.Context, in *batchIDInput) (*struct{}, error) {
	if err := s.services.Payouts.CancelBatch(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}

func (s *Server) apiMarkPaid(ctx context.Context, in *markPaidInput) (*ChangedOutput, error) {
	n, err := s.services.Payouts.MarkPaid(ctx, in.ID, in.Body.LineIDs, in.Body.Reference)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &ChangedOutput{}
	out.Body.Changed = n
	return out, nil
}

func (s *Server) apiExportBatch(ctx context.Context, in *exportInput) (*FileOutput, error) {
	data, name, err := s.exportBatch(ctx, in.ID, in.Method)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &FileOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: data}, nil
}

// exportBatch writes the upload file of a batch's sent lines of one method.
func (s *Server) exportBatch(ctx context.Context, batchID string, method tandem.PayoutMethodKind) ([]byte, string, error) {
	b, err := s.services.Payouts.Batch(ctx, batchID)
	if err != nil {
		return nil, "", err
	}
	var lines []*tandem.PayoutLine
	for _, l := range b.Lines {
		if l.MethodKind == method && l.Status == tandem.LineSending {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, "", tandem.Invalidf("method", "No %s line of this batch is waiting to be paid.", method.Name())
	}
	note := "Partner commissions, batch " + b.ID
	var data []byte
	if method == tandem.MethodWise {
		data, err = payout.WiseCSV(lines, "Commissions "+b.ProposedAt.Format("2006-01"))
	} else {
		data, err = payout.PayPalCSV(lines, note)
	}
	return data, string(method) + "-" + b.ID + ".csv", err
}

func (s *Server) apiListLines(ctx context.Context, in *listLinesInput) (*LinesOutput, error) {
	ls, err := s.services.Payouts.Lines(ctx, tandem.LineFilter{BatchID: in.BatchID, PartnerID: in.PartnerID, Status: in.Status, Method: in.Method, Limit: in.Limit})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &LinesOutput{}
	out.Body.Data = append([]*tandem.PayoutLine{}, ls...)
	return out, nil
}

func (s *Server) apiRemoveLine(ctx context.Context, in *lineIDInput) (*struct{}, error) {
	if err := s.services.Payouts.RemoveLine(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}

func (s *Server) apiHoldLine(ctx context.Context, in *holdInput) (*struct{}, error) {
	if err := s.services.Payouts.HoldLine(ctx, in.ID, in.Body.Reason); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}

func (s *Server) apiReleaseHolds(ctx context.Context, in *partnerIDInput) (*ChangedOutput, error) {
	n, err := s.services.Payouts.ReleaseHolds(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &ChangedOutput{}
	out.Body.Changed = n
	return out, nil
}

func (s *Server) apiPayableBalances(ctx context.Context, in *balancesInput) (*PayableBalancesOutput, error) {
	bs, err := s.services.Payouts.Balances(ctx, in.PartnerID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &PayableBalancesOutput{}
	out.Body.Data = append([]*tandem.PartnerBalance{}, bs...)
	return out, nil
}
