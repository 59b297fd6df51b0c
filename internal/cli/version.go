package cli

import (
	"context"
	"flag"
	"fmt"
)

func versionCommand() command {
	return command{
		name:    "version",
		summary: "print the version",
		doc:     "Version prints the version of app-token; -version and --version are the same.\n",
		setup: func(c Command, _ *flag.FlagSet, _ *words) func(context.Context, []string) error {
			return func(context.Context, []string) error {
				_, err := fmt.Fprintf(c.Stdout, "app-token %s\n", c.Version)
				return err
			}
		},
	}
}
