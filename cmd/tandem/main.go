// Command tandem runs Tandem, the partner relationship management platform:
// the web server and its background jobs (serve), the database schema
// (migrate), the demo business (demo) and the version (version).
//
// Every flag can also be set by an environment variable: --data-dir is
// TANDEM_DATA_DIR, --database is TANDEM_DATABASE, and so on. A flag on the
// command line wins over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // program time zones work on machines without tzdata

	"github.com/tandem-prm/tandem"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line was wrong
)

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

var commands = []command{
	{"serve", "run the web server and background jobs", runServe},
	{"migrate", "apply database migrations (up) or list them (status)", runMigrate},
	{"demo", "fill an empty database with a demo business", runDemo},
	{"admin", "manage accounts: admin create --email … makes an owner", runAdmin},
	{"version", "print the version", runVersion},
}

// environment is what a command may touch of the outside world; tests give
// their own.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Run runs the tandem command line with args (without the program name) and
// returns the exit status. Errors are printed as one line on stderr.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &environment{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		var usage *usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &usage):
			fmt.Fprintf(stderr, "tandem %s: %s\nRun 'tandem %s --help' for usage.\n", c.name, usage.msg, c.name)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "tandem %s: %s\n", c.name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "tandem: unknown command %q\nRun 'tandem help' for usage.\n", args[0])
	return exitUsage
}

// cliError names the field of a bad-input error the way the command line
// spells it (--email), so the one line says what to fix.
func cliError(err error) error {
	if field := tandem.ErrorField(err); field != "" {
		return fmt.Errorf("--%s: %s", strings.ReplaceAll(field, "_", "-"), tandem.ErrorMessage(err))
	}
	if code := tandem.ErrorCode(err); code != tandem.EINTERNAL {
		return errors.New(tandem.ErrorMessage(err))
	}
	return err
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Tandem runs partner and affiliate programs: links, referrals, commissions and payouts.")
	fmt.Fprintln(w, "\nUsage: tandem <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'tandem <command> --help' for the flags of a command. Every flag can also be")
	fmt.Fprintln(w, "set by an environment variable: --data-dir is TANDEM_DATA_DIR, and so on.")
}
