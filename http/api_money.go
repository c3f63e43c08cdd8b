package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// The API of commission plans, commissions and the ledger.

type listCommissionsInput struct {
	ProgramID    string                  `query:"program_id"`
	PartnerID    string                  `query:"partner_id"`
	ConversionID string                  `query:"conversion_id"`
	Status       tandem.CommissionStatus `query:"status" enum:"pending,approved,in_payout,paid,rejected,reversed"`
	Limit        int                     `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

// CommissionsOutput is a list of commissions, newest first.
type CommissionsOutput struct {
	Body struct {
		Data []CommissionOut `json:"data"`
	}
}

type decideInput struct {
	Action string `path:"action" enum:"approve,reject"`
	Body   struct {
		IDs    []string `json:"ids" minItems:"1" maxItems:"1000" doc:"The commissions (com_…)."`
		Reason string   `json:"reason,omitempty" doc:"Required to reject: the partner sees it." maxLength:"500"`
	}
}

// DecideOutput says how many commissions changed.
type DecideOutput struct {
	Body struct {
		Changed int `json:"changed"`
	}
}

// PlanBody is a plan's rules as the API takes them.
type PlanBody struct {
	Name          string        `json:"name,omitempty" doc:"Required for a new plan." maxLength:"120" example:"Standard"`
	Rules         []tandem.Rule `json:"rules" doc:"The rules; see the README's Commission plans section. Rates are decimal strings of percent (\"20\")."`
	EffectiveFrom *time.Time    `json:"effective_from,omitempty" doc:"When the version takes effect (now or later); now if left out."`
}

type createPlanInput struct {
	ProgramID string `path:"id"`
	Body      PlanBody
}

type publishInput struct {
	PlanID string `path:"id"`
	Body   PlanBody
}

// PlanOutput is one plan.
type PlanOutput struct {
	Body *tandem.Plan
}

// VersionOutput is one plan version.
type VersionOutput struct {
	Body *tandem.PlanVersion
}

// PlansOutput is a program's plans.
type PlansOutput struct {
	Body struct {
		Data []*tandem.Plan `json:"data"`
	}
}

// PlanAssignmentsOutput lists the groups and partners with a plan of their own.
type PlanAssignmentsOutput struct {
	Body struct {
		Data []tandem.PlanAssignment `json:"data"`
	}
}

type assignInput struct {
	ProgramID string `path:"id"`
	Body      struct {
		PlanID    string `json:"plan_id" doc:"The plan; empty removes the override."`
		GroupID   string `json:"group_id,omitempty" doc:"Assign to this partner group..."`
		PartnerID string `json:"partner_id,omitempty" doc:"...or to this partner alone."`
	}
}

// BalancesOutput is a partner's ledger balances.
type BalancesOutput struct {
	Body struct {
		Data []tandem.Balance `json:"data"`
	}
}

func (s *Server) apiMoneyRoutes(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "list-commissions", Method: http.MethodGet, Path: "/commissions",
		Tags: []string{"Commissions"}, Summary: "List commissions, newest first"}, s.apiListCommissions)
	huma.Register(api, huma.Operation{OperationID: "decide-commissions", Method: http.MethodPost, Path: "/commissions/{action}",
		Tags: []string{"Commissions"}, Summary: "Approve or reject pending commissions",
		Description: "approve: pending commissions become payable now (a commission held for the agreement cannot be). " +
			"reject: needs a reason, which the partner sees. Commissions that are not pending are skipped and named in a 400."}, s.apiDecideCommissions)
	huma.Register(api, huma.Operation{OperationID: "list-plans", Method: http.MethodGet, Path: "/programs/{id}/plans",
		Tags: []string{"Commission plans"}, Summary: "List a program's commission plans with their current versions"}, s.apiListPlans)
	huma.Register(api, huma.Operation{OperationID: "create-plan", Method: http.MethodPost, Path: "/programs/{id}/plans",
		Tags: []string{"Commission plans"}, Summary: "Create a commission plan (its first version)",
		Description: "A program's first plan becomes its default.", DefaultStatus: http.StatusCreated}, s.apiCreatePlan)
	huma.Register(api, huma.Operation{OperationID: "publish-plan-version", Method: http.MethodPost, Path: "/plans/{id}/versions",
		Tags: []string{"Commission plans"}, Summary: "Publish a new version of a plan",
		Description:   "Conversions are judged by the version in force when they happened: a new version never rewrites what was earned.",
		DefaultStatus: http.StatusCreated}, s.apiPublishVersion)
	huma.Register(api, huma.Operation{OperationID: "assign-plan", Method: http.MethodPost, Path: "/programs/{id}/plan-assignments",
		Tags: []string{"Commission plans"}, Summary: "Give a partner group or one partner its own plan", DefaultStatus: http.StatusNoContent}, s.apiAssignPlan)
	huma.Register(api, huma.Operation{OperationID: "list-plan-assignments", Method: http.MethodGet, Path: "/programs/{id}/plan-assignments",
		Tags: []string{"Commission plans"}, Summary: "The groups and partners with a plan of their own",
		Description: "Everyone else earns under the program's default plan; a partner's own plan comes before their group's."}, s.apiPlanAssignments)
	huma.Register(api, huma.Operation{OperationID: "get-partner-balances", Method: http.MethodGet, Path: "/partners/{id}/balances",
		Tags: []string{"Ledger"}, Summary: "A partner's ledger balances (pending, payable, paid…) per currency"}, s.apiPartnerBalances)
	s.apiCouponRoutes(api)
}

func (s *Server) apiListCommissions(ctx context.Context, in *listCommissionsInput) (*CommissionsOutput, error) {
	ks, err := s.services.Commissions.Commissions(ctx, tandem.CommissionFilter{ProgramID: in.ProgramID, PartnerID: in.PartnerID,
		ConversionID: in.ConversionID, Status: in.Status, Limit: in.Limit})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &CommissionsOutput{}
	out.Body.Data = make([]CommissionOut, 0, len(ks))
	for _, k := range ks {
		out.Body.Data = append(out.Body.Data, apiCommission(k))
	}
	return out, nil
}

func (s *Server) apiDecideCommissions(ctx context.Context, in *decideInput) (*DecideOutput, error) {
	var n int
	var err error
	if in.Action == "approve" {
		n, err = s.services.Commissions.Approve(ctx, in.Body.IDs)
	} else {
		n, err = s.services.Commissions.Reject(ctx, in.Body.IDs, in.Body.Reason)
	}
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &DecideOutput{}
	out.Body.Changed = n
	return out, nil
}

func effective(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (s *Server) apiListPlans(ctx context.Context, in *programIDInput) (*PlansOutput, error) {
	ps, err := s.services.Plans.Plans(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &PlansOutput{}
	out.Body.Data = append([]*tandem.Plan{}, ps...)
	return out, nil
}

func (s *Server) apiCreatePlan(ctx context.Context, in *createPlanInput) (*PlanOutput, error) {
	p, err := s.services.Plans.CreatePlan(ctx, in.ProgramID, in.Body.Name, in.Body.Rules, effective(in.Body.EffectiveFrom))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &PlanOutput{Body: p}, nil
}

func (s *Server) apiPublishVersion(ctx context.Context, in *publishInput) (*VersionOutput, error) {
	v, err := s.services.Plans.PublishVersion(ctx, in.PlanID, in.Body.Rules, effective(in.Body.EffectiveFrom))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &VersionOutput{Body: v}, nil
}

func (s *Server) apiAssignPlan(ctx context.Context, in *assignInput) (*struct{}, error) {
	if err := s.services.Plans.AssignPlan(ctx, in.ProgramID, in.Body.GroupID, in.Body.PartnerID, in.Body.PlanID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}

func (s *Server) apiPlanAssignments(ctx context.Context, in *programIDInput) (*PlanAssignmentsOutput, error) {
	as, err := s.services.Plans.Assignments(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &PlanAssignmentsOutput{}
	out.Body.Data = append([]tandem.PlanAssignment{}, as...)
	return out, nil
}

func (s *Server) apiPartnerBalances(ctx context.Context, in *partnerIDInput) (*BalancesOutput, error) {
	bs, err := s.services.Ledger.Balances(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &BalancesOutput{}
	out.Body.Data = append([]tandem.Balance{}, bs...)
	return out, nil
}

// NewCoupon maps a coupon code to a partner.
type NewCoupon struct {
	ProgramID string `json:"program_id"`
	PartnerID string `json:"partner_id"`
	Code      string `json:"code" doc:"3 to 64 letters, digits, dashes or underscores; stored upper case, unique per program." example:"JANE20"`
}

type createCouponInput struct {
	Body NewCoupon
}

// CouponOutput is one coupon.
type CouponOutput struct {
	Body *tandem.Coupon
}

type listCouponsInput struct {
	ProgramID string `query:"program_id" required:"true"`
	PartnerID string `query:"partner_id"`
}

// CouponsOutput lists coupons.
type CouponsOutput struct {
	Body struct {
		Data []*tandem.Coupon `json:"data"`
	}
}

type couponIDInput struct {
	ID string `path:"id"`
}

func (s *Server) apiCouponRoutes(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "create-coupon", Method: http.MethodPost, Path: "/coupons",
		Tags: []string{"Coupons"}, Summary: "Map a coupon code to a partner",
		Description:   "A conversion naming the code (field coupon) is attributed to the partner, unless the customer already belongs to a partner or names a referral.",
		DefaultStatus: http.StatusCreated}, s.apiCreateCoupon)
	huma.Register(api, huma.Operation{OperationID: "list-coupons", Method: http.MethodGet, Path: "/coupons",
		Tags: []string{"Coupons"}, Summary: "List a program's coupons"}, s.apiListCoupons)
	huma.Register(api, huma.Operation{OperationID: "archive-coupon", Method: http.MethodDelete, Path: "/coupons/{id}",
		Tags: []string{"Coupons"}, Summary: "Archive a coupon: it attributes nothing from now on", DefaultStatus: http.StatusNoContent}, s.apiArchiveCoupon)
}

func (s *Server) apiCreateCoupon(ctx context.Context, in *createCouponInput) (*CouponOutput, error) {
	c, err := s.services.Coupons.CreateCoupon(ctx, in.Body.ProgramID, in.Body.PartnerID, in.Body.Code)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &CouponOutput{Body: c}, nil
}

func (s *Server) apiListCoupons(ctx context.Context, in *listCouponsInput) (*CouponsOutput, error) {
	cs, err := s.services.Coupons.Coupons(ctx, in.ProgramID, in.PartnerID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &CouponsOutput{}
	out.Body.Data = append([]*tandem.Coupon{}, cs...)
	return out, nil
}

func (s *Server) apiArchiveCoupon(ctx context.Context, in *couponIDInput) (*struct{}, error) {
	if err := s.services.Coupons.ArchiveCoupon(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}
