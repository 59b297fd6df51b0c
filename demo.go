package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnerfile"
)

// runDemo runs the main and the post step, as the runner would, against the
// built-in GitHub API emulator, and shows the requests, the log and the
// outputs. It needs no GitHub App and no network.
func runDemo(ctx context.Context, d deps, args []string) error {
	if len(args) > 0 {
		return &usageError{"demo takes no arguments"}
	}
	cfg := githubapitest.DefaultConfig()
	srv, err := githubapitest.NewServer(cfg)
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer srv.Close()
	// A scratch image has no /tmp: fall back to the working directory.
	dir, err := os.MkdirTemp("", "app-token-demo-")
	if err != nil {
		if dir, err = os.MkdirTemp(".", "app-token-demo-"); err != nil {
			return fmt.Errorf("make a directory for the runner's files: %w", err)
		}
	}
	defer os.RemoveAll(dir)

	env := map[string]string{
		"INPUT_CLIENT-ID":           cfg.App.ClientID,
		"INPUT_PRIVATE-KEY":         srv.PrivateKeyPEM(),
		"INPUT_OWNER":               "octo-org",
		"INPUT_REPOSITORIES":        "app\ninfra",
		"INPUT_PERMISSION-CONTENTS": "read",
		"INPUT_PERMISSION-ISSUES":   "write",
		"INPUT_SKIP-TOKEN-REVOKE":   "false",
		"INPUT_SUMMARY":             "true",
		"INPUT_GIT-USER":            "false",
		"INPUT_GITHUB-API-URL":      srv.URL(),
		"GITHUB_REPOSITORY":         "octo-org/app",
		"GITHUB_REPOSITORY_OWNER":   "octo-org",
		"GITHUB_OUTPUT":             filepath.Join(dir, "output"),
		"GITHUB_STATE":              filepath.Join(dir, "state"),
		"GITHUB_STEP_SUMMARY":       filepath.Join(dir, "summary"),
	}
	out := &redactor{w: d.stdout, srv: srv}
	fmt.Fprintf(out, "GitHub API emulator at %s, app %q (client ID %s)\n", srv.URL(), cfg.App.Slug, cfg.App.ClientID)
	fmt.Fprintln(out, "Tokens below are shown as <token>; the runner would show ***.")

	step := func(title string, post bool) error {
		fmt.Fprintf(out, "\n== %s\n", title)
		seen := len(srv.Requests())
		sd := d
		sd.action = envAction(env, out)
		sd.environ = environ(env)
		argv0 := "app-token"
		if post {
			argv0 = postEntrypoint
		}
		err := run(ctx, sd, []string{argv0})
		fmt.Fprintln(out, "-- requests")
		for _, r := range srv.Requests()[seen:] {
			fmt.Fprintf(out, "   %s %s -> %d\n", r.Method, r.Path, r.Status)
		}
		return err
	}
	fmt.Fprintln(out, "\nInputs: owner octo-org, repositories app and infra, permission-contents read, permission-issues write")
	if err := step("main step", false); err != nil {
		return fmt.Errorf("main step: %w", err)
	}
	for _, f := range []struct{ title, name string }{{"outputs ($GITHUB_OUTPUT)", "output"}, {"state ($GITHUB_STATE)", "state"}} {
		entries, err := readEntries(filepath.Join(dir, f.name))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "-- %s\n", f.title)
		for _, e := range entries {
			fmt.Fprintf(out, "   %s=%s\n", e.Name, e.Value)
			if f.name == "state" {
				env["STATE_"+e.Name] = e.Value
			}
		}
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "-- job summary ($GITHUB_STEP_SUMMARY)\n%s", summary)
	if err := step("post step", true); err != nil {
		return fmt.Errorf("post step: %w", err)
	}
	for _, t := range srv.Tokens() {
		fmt.Fprintf(out, "\nThe token is revoked: %t\n", t.Revoked)
	}
	return nil
}

func readEntries(path string) ([]runnerfile.Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return runnerfile.Parse(string(b))
}

func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
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
