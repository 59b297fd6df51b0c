// Command app-token is a GitHub container action that mints a GitHub App
// installation access token, and revokes it in the post step; elsewhere it
// is a command-line tool (see package cli).
//
// The runner starts the binary as /usr/local/bin/app-token for the main
// step and as /usr/local/bin/app-token-post for the post step.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/action"
	"github.com/ghapptoken/app-token-action/internal/cli"
)

// version is stamped at build time with -ldflags '-X main.version=…'.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := githubactions.New()
	e := action.Env{Action: a, Environ: os.Environ(), Version: cli.Version(version)}
	code := 0
	switch {
	case filepath.Base(os.Args[0]) == "app-token-post": // runs.post-entrypoint
		action.Post(ctx, e)
	case len(os.Args) == 1 && os.Getenv("GITHUB_ACTIONS") == "true":
		if err := action.Main(ctx, e); err != nil {
			action.Report(a, err)
			code = 1
		}
	default:
		cmd := cli.Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: e.Version}
		code = cmd.Main(ctx, os.Args[1:])
	}
	stop()
	os.Exit(code)
}
