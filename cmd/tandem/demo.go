package main

import (
	"context"
	"fmt"
)

func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "demo", "Migrate the database and fill it, if empty, with a demo business.")
	var sf storeFlags
	sf.register(fs)
	rest, err := parseFlags(env, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	db, _, err := sf.openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	return seedDemo(ctx, env, newServices(db))
}
