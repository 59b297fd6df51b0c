package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/action"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// demoInputs are the with: entries of the demo's step.
var demoInputs = [][2]string{
	{"owner", "octo-org"},
	{"repositories", "app\ninfra"},
	{"permission-contents", "read"},
	{"permission-issues", "write"},
}

// demo runs the main and the post step against a fresh emulator with the
// demo world and writes what happens to w, tokens redacted.
func demo(ctx context.Context, w io.Writer) error {
	yml, err := findActionYML()
	if err != nil {
		return err
	}
	act, err := runnertest.ReadAction(yml)
	if err != nil {
		return err
	}
	cfg := githubapitest.DefaultConfig()
	srv, err := githubapitest.NewServer(cfg)
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "app-token-demo-")
	if err != nil {
		return fmt.Errorf("make a directory for the runner's files: %w", err)
	}
	defer os.RemoveAll(dir)

	r := runnertest.New(runnertest.Job{Action: act, APIURL: srv.URL(), Repository: "octo-org/app", Dir: dir})
	r.Set("client-id", cfg.App.ClientID)
	r.Set("private-key", srv.PrivateKeyPEM())
	for _, in := range demoInputs {
		r.Set(in[0], in[1])
	}

	out := &redactor{w: w, srv: srv}
	fmt.Fprintf(out, "GitHub API emulator at %s, app %q (client ID %s)\n", srv.URL(), cfg.App.Slug, cfg.App.ClientID)
	fmt.Fprintln(out, "Tokens below are shown as <token>; the runner would show ***.")
	fmt.Fprintln(out, "\nInputs: owner octo-org, repositories app and infra, permission-contents read, permission-issues write")

	// step runs one step with the runner's environment and prints its log
	// and the requests it sent.
	step := func(title string, run func(action.Env) error) error {
		fmt.Fprintf(out, "\n== %s\n", title)
		seen := len(srv.Requests())
		err := run(action.Env{Action: r.Action(out), Environ: r.Environ(), Version: "demo"})
		fmt.Fprintln(out, "-- requests")
		for _, req := range srv.Requests()[seen:] {
			fmt.Fprintf(out, "   %s %s -> %d\n", req.Method, req.Path, req.Status)
		}
		return err
	}

	err = step("main step", func(e action.Env) error {
		err := action.Main(ctx, e)
		if err != nil {
			action.Report(e.Action, err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("main step: %w", err)
	}
	outputs, err := r.Outputs()
	if err != nil {
		return err
	}
	state, err := r.State()
	if err != nil {
		return err
	}
	summary, err := r.Summary()
	if err != nil {
		return err
	}
	printEntries(out, "outputs ($GITHUB_OUTPUT)", outputs)
	printEntries(out, "state ($GITHUB_STATE)", state)
	fmt.Fprintf(out, "-- job summary ($GITHUB_STEP_SUMMARY)\n%s", summary)

	if err := r.LoadState(); err != nil {
		return err
	}
	// The post step never fails; what goes wrong is a warning in its log.
	_ = step("post step", func(e action.Env) error { action.Post(ctx, e); return nil })
	for _, t := range srv.Tokens() {
		fmt.Fprintf(out, "\nThe token is revoked: %t\n", t.Revoked)
	}
	return nil
}

// printEntries prints the name=value entries of a runner file, by name.
func printEntries(w io.Writer, title string, entries map[string]string) {
	fmt.Fprintf(w, "-- %s\n", title)
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		fmt.Fprintf(w, "   %s=%s\n", k, entries[k])
	}
}

// findActionYML returns the path of action.yml in the working directory
// or the nearest parent that has one.
func findActionYML() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "action.yml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no action.yml here or in a parent directory: run the demo from the repository")
		}
		dir = parent
	}
}

// redactor replaces the emulator's tokens with <token> in what it writes.
type redactor struct {
	w   io.Writer
	srv *githubapitest.Server
}

func (r *redactor) Write(p []byte) (int, error) {
	s := string(p)
	for _, t := range r.srv.Tokens() {
		s = strings.ReplaceAll(s, t.Value, "<token>")
	}
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
