package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tandem-prm/tandem/sqldb"
)

// storeFlags are the flags of every command that opens the database.
type storeFlags struct {
	dataDir   string
	database  string
	logFormat string
	logLevel  string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "./tandem-data", "directory for the SQLite database and stored files")
	fs.StringVar(&f.database, "database", "", "database URL: sqlite:PATH or postgres://USER@HOST:PORT/NAME (default sqlite:DATA-DIR/tandem.db)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// newFlagSet returns a flag set for a command whose --help lists each flag
// with its environment variable.
func newFlagSet(env *environment, name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("tandem "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once by Run
	fs.Usage = func() {
		w := env.stdout
		fmt.Fprintf(w, "Usage: tandem %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "  --%s\n        %s%s\n        env: %s\n", f.Name, f.Usage, def, envName(f.Name))
		})
	}
	return fs
}

// envName is the environment variable of a flag: data-dir -> TANDEM_DATA_DIR.
func envName(flagName string) string {
	return "TANDEM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable. Positional arguments are returned.
func parseFlags(env *environment, fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := env.getenv(envName(f.Name)); v != "" && !given[f.Name] && err == nil {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = &usageError{fmt.Sprintf("invalid value %q for %s: %v", v, envName(f.Name), setErr)}
			}
		}
	})
	return fs.Args(), err
}

// logger returns the logger the flags ask for, writing to stderr.
func (f *storeFlags) logger(env *environment) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, &usageError{fmt.Sprintf("invalid --log-level %q: want debug, info, warn or error", f.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(env.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(env.stderr, opts)), nil
	default:
		return nil, &usageError{fmt.Sprintf("invalid --log-format %q: want text or json", f.logFormat)}
	}
}

// openStore checks the data directory, opens the database and returns it
// with the logger. It creates the data directory if it is missing, and
// fails with one clear line if it cannot be used.
func (f *storeFlags) openStore(ctx context.Context, env *environment) (*sqldb.DB, *slog.Logger, error) {
	logger, err := f.logger(env)
	if err != nil {
		return nil, nil, err
	}
	if err := checkDataDir(f.dataDir); err != nil {
		return nil, nil, err
	}
	url := f.database
	if url == "" {
		url = "sqlite:" + filepath.Join(f.dataDir, "tandem.db")
	}
	if _, _, err := sqldb.ParseURL(url); err != nil {
		return nil, nil, &usageError{err.Error()}
	}
	db, err := sqldb.Open(ctx, url, logger)
	if err != nil {
		return nil, nil, err
	}
	return db, logger, nil
}

// checkDataDir makes sure dir exists (creating it if needed) and is a
// writable directory.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory %q cannot be created: %w", dir, unwrapPathError(err))
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory %q cannot be read: %w", dir, unwrapPathError(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("data directory %q is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %q is not writable: %w", dir, unwrapPathError(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// unwrapPathError drops the path from an *os.PathError: the message names it already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
