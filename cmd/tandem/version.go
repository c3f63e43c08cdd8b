package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/tandem-prm/tandem"
)

func runVersion(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "version", "Print the version of this binary.")
	if _, err := parseFlags(env, fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "tandem "+versionString())
	return nil
}

// versionString is the version, the commit it was built from (if known) and
// the Go toolchain.
func versionString() string {
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("%s%s (%s %s/%s)", tandem.Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
