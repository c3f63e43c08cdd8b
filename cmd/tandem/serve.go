package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/demo"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/jobs"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/payout"
	"github.com/tandem-prm/tandem/payout/stripeconnect"
	"github.com/tandem-prm/tandem/sqldb"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "serve", "Run the web server and the background jobs. Migrations are applied on start.")
	var sf storeFlags
	sf.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (host:port)")
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations on start; refuse to start while any are pending")
	withDemo := fs.Bool("demo", false, "fill an empty database with the demo business on start")
	retentionDays := fs.Int("audit-retention-days", 730, "days to keep audit log entries; 0 keeps them forever")
	baseURL := fs.String("base-url", "", "public URL of this server, used in emailed links; https:// makes cookies Secure (default http://LISTEN)")
	smtpURL := fs.String("smtp-url", "", "SMTP server for email: smtp://USER:PASS@HOST:587 (STARTTLS), smtps://…:465, ?tls=none for local servers; without one, emails are written to DATA-DIR/mail")
	smtpFrom := fs.String("smtp-from", "Tandem <tandem@localhost>", "sender address of emails")
	stripeKey := fs.String("stripe-secret-key", "", "Stripe secret key for paying partners by Stripe Connect transfers; without one, Stripe Connect lines wait unsent")
	stripeURL := fs.String("stripe-api-url", "", "Stripe API URL (default Stripe's; stripe-mock in tests)")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long to wait for requests and jobs to finish on SIGTERM")
	commitDelay := fs.Duration("click-commit-delay", time.Millisecond, "how long a click commit waits for more concurrent clicks to share it (0: none)")
	floodRate := fs.Float64("click-flood-rate", 5, "clicks per second one visitor network (IPv4 /24, IPv6 /64) may record after its burst")
	floodBurst := fs.Int("click-flood-burst", 60, "clicks one visitor network may record at once")
	pprofAddr := fs.String("pprof", "", "debug: serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; keep it private")
	rest, err := parseFlags(env, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if *floodRate <= 0 || *floodBurst <= 0 {
		return &usageError{"--click-flood-rate and --click-flood-burst must be above 0"}
	}
	if *retentionDays < 0 {
		return &usageError{"--audit-retention-days must be 0 or more"}
	}

	mailer, err := newMailer(*smtpURL, *smtpFrom, sf.dataDir)
	if err != nil {
		return err
	}
	if *baseURL != "" {
		if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &usageError{fmt.Sprintf("invalid --base-url %q: want http(s)://HOST[:PORT]", *baseURL)}
		}
	}

	if _, set := os.LookupEnv("GOGC"); !set {
		// A request's garbage is small and short-lived and the live heap
		// small, so at Go's default (collect when the heap doubles) the
		// collector ran every few milliseconds under load; at 4× it costs
		// a fraction of that for a few more MB. GOGC still overrides it.
		debug.SetGCPercent(400)
	}
	db, logger, err := sf.openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	if *noMigrate {
		err = db.CheckSchema(ctx)
	} else {
		err = db.Migrate(ctx)
	}
	if err != nil {
		return err
	}
	services := newServices(db)
	if *withDemo {
		if err := seedDemo(ctx, env, services); errors.Is(err, demo.ErrNotEmpty) {
			logger.Info("demo not loaded: the database already has data")
		} else if err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *listen, err)
	}
	defer ln.Close()
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	write, read := db.Pools()
	reg.MustRegister(collectors.NewDBStatsCollector(write, "write"))
	if read != write {
		reg.MustRegister(collectors.NewDBStatsCollector(read, "read"))
	}
	clickStore := sqldb.NewClickStore(db)
	runner, err := jobs.New(db, jobs.Services{Audit: services.audit, Emails: services.emails, Accounts: services.accounts, Invitations: services.invitations, Commissions: services.commissions, Payouts: services.payouts, Clicks: clickStore}, jobs.Config{
		AuditRetention: time.Duration(*retentionDays) * 24 * time.Hour,
		Logger:         logger,
		Registerer:     reg,
		Mailer:         mailer,
		BaseURL:        *baseURL,

		PayoutProviders: payoutProviders(*stripeKey, *stripeURL),
	})
	if err != nil {
		return err
	}
	// Clicks: started before serving; closed after the server has finished
	// its requests (so every redirect in flight commits) and before the
	// database closes (the defer runs before db.Close's).
	secret, err := clickStore.VisitorSecret(ctx)
	if err != nil {
		return err
	}
	clickWriter := clicks.NewWriter(clickStore, secret, clicks.Options{Logger: logger, CommitDelay: cmp.Or(*commitDelay, -1)})
	defer clickWriter.Close(context.Background())
	server, err := tandemhttp.NewServer(tandemhttp.Config{DB: db, Logger: logger, Registry: reg, BaseURL: *baseURL,
		Flood: tandemhttp.FloodLimit{PerSecond: *floodRate, Burst: *floodBurst},
		Services: tandemhttp.Services{
			Programs: services.programs, Partners: services.partners, Audit: services.audit, Accounts: services.accounts,
			RateLimiter: sqldb.NewRateLimiter(db), Sessions: sqldb.NewSessionStore(db), Recruiting: services.recruiting,
			Agreements: services.agreements, Onboarding: services.onboarding,
			Resources: services.resources, Invitations: services.invitations, Links: services.links,
			Clicks: clickWriter, Conversions: services.conversions, Commissions: services.commissions,
			Plans: services.plans, Ledger: services.ledger, Coupons: services.coupons,
			Referrals: services.referrals,
			Payouts:   services.payouts,
		}})
	if err != nil {
		return err
	}
	server.Serve(ln)
	if *pprofAddr != "" {
		stopPprof, err := servePprof(*pprofAddr, logger)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	// The runner outlives ctx (cancelled by SIGTERM) so that Stop below can
	// let running jobs finish instead of cancelling them.
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	logger.Info("tandem is running", "url", "http://"+server.Addr().String(), "database", string(db.Dialect()), "version", versionString())
	if err := printSetupLink(ctx, env, services, *baseURL); err != nil {
		return err
	}

	<-ctx.Done()
	logger.Info("shutting down: finishing in-flight requests and jobs", "timeout", *shutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	err = server.Shutdown(stopCtx)
	err = errors.Join(err, clickWriter.Close(stopCtx), runner.Stop(stopCtx))
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

// services are the store's services, built once per command.
type services struct {
	programs    *sqldb.ProgramService
	partners    *sqldb.PartnerService
	audit       *sqldb.AuditService
	accounts    *sqldb.AccountService
	emails      *sqldb.EmailService
	recruiting  *sqldb.RecruitingService
	agreements  *sqldb.AgreementService
	resources   *sqldb.ResourceService
	onboarding  *sqldb.OnboardingService
	invitations *sqldb.InvitationService
	links       *sqldb.LinkService
	clicks      *sqldb.ClickStore
	conversions *sqldb.ConversionService
	commissions *sqldb.CommissionService
	plans       *sqldb.PlanService
	ledger      *sqldb.LedgerService
	coupons     *sqldb.CouponService
	referrals   *sqldb.ReferralService
	payouts     *sqldb.PayoutService
}

func newServices(db *sqldb.DB) services {
	return services{
		programs:    sqldb.NewProgramService(db),
		partners:    sqldb.NewPartnerService(db),
		audit:       sqldb.NewAuditService(db),
		accounts:    sqldb.NewAccountService(db),
		emails:      sqldb.NewEmailService(db),
		recruiting:  sqldb.NewRecruitingService(db),
		agreements:  sqldb.NewAgreementService(db),
		resources:   sqldb.NewResourceService(db),
		onboarding:  sqldb.NewOnboardingService(db),
		invitations: sqldb.NewInvitationService(db),
		conversions: sqldb.NewConversionService(db),
		commissions: sqldb.NewCommissionService(db),
		plans:       sqldb.NewPlanService(db),
		ledger:      sqldb.NewLedgerService(db),
		coupons:     sqldb.NewCouponService(db),
		links:       sqldb.NewLinkService(db),
		clicks:      sqldb.NewClickStore(db),
		referrals:   sqldb.NewReferralService(db),
		payouts:     sqldb.NewPayoutService(db),
	}
}

// payoutProviders are the payout senders: files and product credit always,
// Stripe Connect when a key is configured.
func payoutProviders(stripeKey, stripeURL string) payout.Providers {
	p := payout.DefaultProviders()
	if stripeKey != "" {
		p[tandem.MethodStripeConnect] = stripeconnect.New(stripeKey, stripeURL, nil)
	}
	return p
}

// newMailer returns the SMTP sender, or without --smtp-url one that writes
// emails into DATA-DIR/mail so that sign-in links still reach the user.
func newMailer(smtpURL, from, dataDir string) (mail.Sender, error) {
	if smtpURL == "" {
		return mail.NewDirSender(filepath.Join(dataDir, "mail")), nil
	}
	sender, err := mail.NewSMTPSender(smtpURL, from)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return sender, nil
}

// printSetupLink prints a one-time link that creates the first owner, while
// there is none.
func printSetupLink(ctx context.Context, env *environment, s services, baseURL string) error {
	if has, err := s.accounts.HasOwner(ctx); err != nil || has {
		return err
	}
	token, err := s.accounts.CreateSetupLink(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "No owner account yet. Open this one-time link within 24 hours to create it:\n  %s/setup/%s\n(or run: tandem admin create --email you@example.com)\n",
		strings.TrimSuffix(baseURL, "/"), token)
	return nil
}

// seedDemo loads the demo business and says what it made and how to sign in.
func seedDemo(ctx context.Context, env *environment, s services) error {
	sum, err := demo.Seed(ctx, demo.Services{Programs: s.programs, Partners: s.partners, Accounts: s.accounts, Recruiting: s.recruiting,
		Agreements: s.agreements, Resources: s.resources, Onboarding: s.onboarding, Invitations: s.invitations,
		Links: s.links, Clicks: s.clicks, Conversions: s.conversions, Commissions: s.commissions, Plans: s.plans,
		Coupons: s.coupons, Referrals: s.referrals, Payouts: s.payouts})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Demo loaded: %d programs, %d partners (memberships: %d approved, %d pending, %d rejected, %d suspended), %d clicks over 90 days, %d conversions over 6 months.\n",
		sum.Programs, sum.Partners, sum.ByStatus["approved"], sum.ByStatus["pending"], sum.ByStatus["rejected"], sum.ByStatus["suspended"], sum.Clicks, sum.Conversions)
	fmt.Fprintf(env.stdout, "Sign in to look around (demo data only):\n  admin  /login         %s / %s\n  partner /portal/login %s / %s\n",
		demo.OwnerEmail, demo.OwnerPassword, demo.PartnerEmail, demo.PartnerPassword)
	return nil
}
