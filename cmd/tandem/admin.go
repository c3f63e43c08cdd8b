package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

func runAdmin(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return &usageError{"want: tandem admin create --email EMAIL [--name NAME] [--password PASSWORD]"}
	}
	fs := newFlagSet(env, "admin create", "Create an owner account. Without --password, the password is read from the first line of standard input.")
	var sf storeFlags
	sf.register(fs)
	email := fs.String("email", "", "email of the new owner (required)")
	name := fs.String("name", "", "name of the new owner (default: the part of the email before @)")
	password := fs.String("password", "", "password of the new owner (default: read from standard input)")
	rest, err := parseFlags(env, fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if *email == "" {
		return &usageError{"--email is required"}
	}
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}
	if *password == "" {
		fmt.Fprint(env.stderr, "Password for the new owner: ")
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("no password on standard input: use --password or pipe one in")
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	db, _, err := sf.openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	u, err := newServices(db).accounts.CreateOwner(ctx, *email, *name, *password)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(env.stdout, "Owner %s created. Sign in at /login.\n", u.Email)
	return nil
}
