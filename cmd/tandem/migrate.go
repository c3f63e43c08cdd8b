package main

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "migrate", "Apply the database migrations (up, the default) or list them (status).\n\nUsage: tandem migrate [flags] [up|status]")
	var sf storeFlags
	sf.register(fs)
	rest, err := parseFlags(env, fs, args)
	if err != nil {
		return err
	}
	action := "up"
	switch len(rest) {
	case 0:
	case 1:
		action = rest[0]
	default:
		return &usageError{fmt.Sprintf("unexpected argument %q", rest[1])}
	}
	if action != "up" && action != "status" {
		return &usageError{fmt.Sprintf("unknown action %q: want up or status", action)}
	}
	db, _, err := sf.openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "up" {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if action == "up" {
		fmt.Fprintf(env.stdout, "The %s database is up to date (%d migrations).\n", db.Dialect(), len(states))
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tSTATE")
	for _, s := range states {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Component, s.Version, s.Name, state)
	}
	return tw.Flush()
}
