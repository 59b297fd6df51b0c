package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// version is stamped at build time with -ldflags '-X main.version=…'.
var version = "dev"

// postEntrypoint is the base name under which the runner starts the post
// step (runs.post-entrypoint in action.yml).
const postEntrypoint = "app-token-post"

// deps is the outside world a step runs against. Tests replace any of it.
type deps struct {
	action  *githubactions.Action
	environ []string
	stdout  io.Writer // for CLI subcommands; workflow commands go through action
	http    *http.Client
	now     func() time.Time

	// Timing of the API client and the step deadlines; zero means the
	// production defaults. Tests shorten them.
	requestTimeout time.Duration
	baseBackoff    time.Duration
	maxRetryAfter  time.Duration
	sleep          func(context.Context, time.Duration) error
	mainDeadline   time.Duration
	postDeadline   time.Duration
}

func newDeps(a *githubactions.Action) deps {
	return deps{action: a, environ: os.Environ(), stdout: os.Stdout, now: time.Now}
}

// envAction returns an Action that reads its inputs and variables from
// env, as the runner would pass them, and writes workflow commands to w.
func envAction(env map[string]string, w io.Writer) *githubactions.Action {
	return githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(func(k string) string { return env[k] }))
}

// run picks the step from argv[0] and the arguments, and runs it.
func run(ctx context.Context, d deps, args []string) error {
	if len(args) > 0 && filepath.Base(args[0]) == postEntrypoint {
		runPost(ctx, d)
		return nil
	}
	if len(args) > 1 {
		return runCommand(ctx, d, args[1], args[2:])
	}
	return runMain(ctx, d)
}

// client returns an API client for baseURL that signs app JWTs as issuer
// with key (which may be nil for token-only calls).
func (d deps) client(baseURL, issuer string, key *rsa.PrivateKey, debug bool) *githubapi.Client {
	c := &githubapi.Client{
		BaseURL:        baseURL,
		HTTP:           d.http,
		UserAgent:      "app-token-action/" + version,
		Now:            d.now,
		Sleep:          d.sleep,
		RequestTimeout: d.requestTimeout,
		BaseBackoff:    d.baseBackoff,
		MaxRetryAfter:  d.maxRetryAfter,
		OnSkew: func(offset time.Duration) {
			d.action.Warningf("The runner's clock differs from GitHub's by %s; signing with GitHub's time. Check the runner's time synchronization.", offset.Round(time.Second))
		},
	}
	if key != nil {
		c.Sign = func(now time.Time) (string, error) { return appjwt.Sign(issuer, key, now) }
	}
	if debug {
		c.Debugf = d.action.Debugf
	}
	return c
}

// deadline returns def unless a test set d.
func deadline(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// runCommand runs a CLI subcommand.
func runCommand(ctx context.Context, d deps, name string, args []string) error {
	switch name {
	case "demo":
		return runDemo(ctx, d, args)
	case "version", "--version":
		_, err := fmt.Fprintf(d.stdout, "app-token %s\n", version)
		return err
	case "token":
		return runToken(ctx, newCLI(d), args)
	case "revoke":
		return runRevoke(ctx, newCLI(d), args)
	case "installations":
		return runInstallations(ctx, newCLI(d), args)
	case "help", "-h", "-help", "--help":
		return runHelp(d.stdout, args)
	}
	return &usageError{fmt.Sprintf("unknown command %q", name)}
}

// usageError is a CLI misuse.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
