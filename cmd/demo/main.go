// Command demo shows the action at work with no GitHub App and no network:
// it runs the action's main and post steps in-process, as the runner would
// (package runnertest), against the GitHub API emulator (package
// githubapitest), and prints the requests, the log, the outputs, the state
// and the job summary. Tokens show as <token>.
//
// With -serve ADDR -key FILE it serves the emulator's demo world on ADDR
// instead, for the action's binary or image to run against: it writes the
// app's private key to FILE (mode 0600), prints one line, "emulator ready
// at http://ADDR", and serves until SIGINT or SIGTERM; then it prints the
// requests it answered and the tokens it issued to standard error.
//
// Run it from the repository, where it finds action.yml:
//
//	go run ./cmd/demo
//	go run ./cmd/demo -serve 127.0.0.1:8089 -key /tmp/key.pem
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run runs the demo, or with -serve the emulator, as args say. The demo
// writes to stdout; the emulator writes its ready line to stdout and its
// request log to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("serve", "", "serve the emulator's demo world on `ADDR` (host:port) until interrupted, instead of running the demo")
	keyFile := fs.String("key", "", "with -serve, write the app's private key (PEM) to `FILE`, mode 0600")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case (*addr == "") != (*keyFile == ""):
		return errors.New("-serve and -key go together")
	case *addr != "":
		return serve(ctx, *addr, *keyFile, stdout, stderr)
	}
	return demo(ctx, stdout)
}
