// Command app-token is a GitHub container action that mints a GitHub App
// installation access token, and revokes it in the post step.
//
// The runner starts the binary as /usr/local/bin/app-token for the main step
// and as /usr/local/bin/app-token-post for the post step; outside a workflow,
// a subcommand (demo, token, revoke, installations) makes it a small CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-githubactions"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := githubactions.New()
	err := run(ctx, newDeps(a), os.Args)
	stop()
	if err != nil {
		code := 1
		if len(os.Args) > 1 { // a subcommand: a person or a script reads stderr
			code = reportCLI(os.Stderr, err)
		} else {
			report(a, err)
		}
		os.Exit(code)
	}
}
