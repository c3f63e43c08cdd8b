// Package http serves Tandem over HTTP: the health and readiness checks, the
// Prometheus metrics, and (as later features land) the admin UI, the partner
// portal, the public pages, the JSON API and the /r/{code} redirect. Routes use
// the standard library's ServeMux method patterns; every error goes through
// Error, the one place where domain error codes become HTTP statuses.
package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/bot"
)

// Database is what the server needs of the store to report readiness.
type Database interface {
	Ping(ctx context.Context) error
	// CheckSchema returns nil when the schema is current.
	CheckSchema(ctx context.Context) error
}

// Server is Tandem's HTTP server.
type Server struct {
	server   *http.Server
	listener net.Listener
	mux      *http.ServeMux
	logger   *slog.Logger
	metrics  *metrics
	db       Database
	gatherer prometheus.Gatherer
	services Services
	sessions *scs.SessionManager
	csrf     *http.CrossOriginProtection
	baseURL  string
	bots     *bot.Detector
	flood    *floodLimiter
	// requestIDs makes request IDs; locations remembers redirects' Location parts.
	requestIDs *requestIDs
	locations  locationCache
}

// Services are the domain services the handlers call.
type Services struct {
	Programs    tandem.ProgramService
	Partners    tandem.PartnerService
	Audit       tandem.AuditService
	Accounts    tandem.AccountService
	RateLimiter tandem.RateLimiter
	Recruiting  tandem.RecruitingService
	Agreements  tandem.AgreementService
	Resources   tandem.ResourceService
	Onboarding  tandem.OnboardingService
	Invitations tandem.InvitationService
	Links       tandem.LinkService
	Referrals   tandem.ReferralService
	// Clicks records the clicks of /r/{code} (a clicks.Writer).
	Clicks      ClickRecorder
	Conversions tandem.ConversionService
	Commissions tandem.CommissionService
	Plans       tandem.PlanService
	Ledger      tandem.LedgerService
	Coupons     tandem.CouponService
	Payouts     tandem.PayoutService
	// Sessions stores web sessions; nil keeps them in memory (tests only).
	Sessions scs.Store
}

// Config configures a Server.
type Config struct {
	DB       Database
	Logger   *slog.Logger
	Registry *prometheus.Registry // the server registers its own metrics and serves all of it
	// BaseURL is the public URL of the server, e.g. https://partners.example.com.
	// Session cookies are Secure when it starts with https://.
	BaseURL  string
	Services Services
	// Flood limits the clicks one visitor network records; zero for the defaults.
	Flood FloodLimit
}

// NewServer returns a server with its routes; call Serve to serve.
func NewServer(cfg Config) (*Server, error) {
	s := &Server{
		mux:        http.NewServeMux(),
		logger:     cfg.Logger,
		db:         cfg.DB,
		gatherer:   cfg.Registry,
		services:   cfg.Services,
		sessions:   newSessionManager(cfg.Services.Sessions, strings.HasPrefix(cfg.BaseURL, "https://")),
		csrf:       http.NewCrossOriginProtection(),
		baseURL:    cfg.BaseURL,
		bots:       bot.New(10000),
		requestIDs: newRequestIDs(),
	}
	s.sessions.ErrorFunc = s.Error
	s.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, tandem.Errorf(tandem.EFORBIDDEN, "This form was sent from another site, so it was refused."))
	}))
	var err error
	if s.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, err
	}
	if s.flood, err = newFloodLimiter(cfg.Flood, cfg.Registry); err != nil {
		return nil, err
	}
	s.routes()
	s.server = &http.Server{
		Handler:           s.withRequestID(s.observe(securityHeaders(s.recoverPanics(s.mux)))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError)}))
	s.mux.HandleFunc("GET /static/{hash}/{file}", s.handleStatic)
	s.authRoutes()
	s.adminRoutes()
	s.portalRoutes()
	s.resourceRoutes()
	s.invitationRoutes()
	s.agreementRoutes()
	s.linkRoutes()
	s.commissionRoutes()
	s.planRoutes()
	s.payoutRoutes()
	s.redirectRoutes()
	s.referralRoutes()
	s.trackRoutes()
	s.apiRoutes()
	s.mux.HandleFunc("/", s.handleNotFound)
}

// Handler returns the server's full handler chain, for tests.
func (s *Server) Handler() http.Handler { return s.server.Handler }

// Serve serves on the listener in the background.
func (s *Server) Serve(ln net.Listener) {
	s.listener = ln
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "err", err)
		}
	}()
}

// Addr returns the address the server listens on, once open.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.server.Shutdown(ctx)
}

// handleHealthz answers 200 while the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the database answers and its schema is
// current, so a load balancer sends traffic only to instances that can serve.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok"}
	status := http.StatusOK
	if err := s.db.Ping(ctx); err != nil {
		s.logger.Warn("readiness: database unreachable", "err", err, "request_id", RequestID(ctx))
		checks["database"], checks["migrations"], status = "unreachable", "unknown", http.StatusServiceUnavailable
	} else if err := s.db.CheckSchema(ctx); err != nil {
		// Only a user-safe message: driver text stays in the log.
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			s.logger.Warn("readiness: schema check failed", "err", err, "request_id", RequestID(ctx))
		}
		checks["migrations"], status = tandem.ErrorMessage(err), http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[status == http.StatusOK], "checks": checks})
}
