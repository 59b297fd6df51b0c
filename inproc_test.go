package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnerfile"
)

// stepRun is what one in-process run of a step left behind.
type stepRun struct {
	log     string
	outputs map[string]string
	state   map[string]string
	err     error
	waits   []time.Duration // backoff and rate-limit waits asked for
}

// harness runs the steps in-process against an emulator, with the runner's
// environment and files, and with waits recorded instead of slept.
type harness struct {
	t   testing.TB
	srv *githubapitest.Server
	env map[string]string
	dir string
	// deadline, when set, bounds each step instead of the production
	// deadlines.
	deadline time.Duration
}

func newHarness(t testing.TB, world githubapitest.Config) *harness {
	t.Helper()
	srv := githubapitest.Start(t, world)
	dir := t.TempDir()
	env := actionDefaults(t, srv.URL())
	for k, v := range map[string]string{
		"INPUT_CLIENT-ID":         testClientID,
		"INPUT_PRIVATE-KEY":       srv.PrivateKeyPEM(),
		"GITHUB_API_URL":          srv.URL(),
		"GITHUB_SERVER_URL":       "https://github.com",
		"GITHUB_REPOSITORY":       "octo-org/app",
		"GITHUB_REPOSITORY_OWNER": "octo-org",
		"GITHUB_OUTPUT":           filepath.Join(dir, "output"),
		"GITHUB_STATE":            filepath.Join(dir, "state"),
		"GITHUB_STEP_SUMMARY":     filepath.Join(dir, "summary"),
	} {
		env[k] = v
	}
	return &harness{t: t, srv: srv, env: env, dir: dir}
}

// run runs the main step (post=false) or the post step.
func (h *harness) run(post bool) stepRun {
	h.t.Helper()
	var log bytes.Buffer
	var mu sync.Mutex
	var r stepRun
	d := testDeps(h.env, &log, &log)
	d.requestTimeout = 200 * time.Millisecond
	d.mainDeadline, d.postDeadline = h.deadline, h.deadline
	d.sleep = func(ctx context.Context, wait time.Duration) error {
		mu.Lock()
		r.waits = append(r.waits, wait)
		mu.Unlock()
		return ctx.Err()
	}
	argv0 := "/usr/local/bin/app-token"
	if post {
		argv0 = "/usr/local/bin/app-token-post"
	}
	r.err = run(h.t.Context(), d, []string{argv0})
	if r.err != nil {
		report(d.action, r.err)
	}
	r.log = log.String()
	r.outputs = h.readFile("output")
	r.state = h.readFile("state")
	return r
}

// trackedRun is a step run and the tokens the emulator issued during it.
type trackedRun struct {
	stepRun
	post   bool
	issued []string
}

// runTracked runs a step and notes the tokens issued meanwhile, for the
// leak checks. It is apart from run because listing the emulator's tokens
// copies them all, which the benchmarks must not pay for.
func (h *harness) runTracked(post bool) trackedRun {
	h.t.Helper()
	before := len(h.srv.Tokens())
	r := trackedRun{stepRun: h.run(post), post: post}
	for _, tok := range h.srv.Tokens()[before:] {
		r.issued = append(r.issued, tok.Value)
	}
	return r
}

// testDeps returns the outside world of a step or command run in-process:
// inputs and variables from env, workflow commands to log, a command's
// output to stdout, and no waiting between retries.
func testDeps(env map[string]string, log, stdout io.Writer) deps {
	return deps{
		action:  envAction(env, log),
		environ: environ(env),
		stdout:  stdout,
		now:     time.Now,
		sleep:   func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
}

// readFile parses a runner file strictly; a missing file is empty.
func (h *harness) readFile(name string) map[string]string {
	h.t.Helper()
	entries, err := readEntries(filepath.Join(h.dir, name))
	if err != nil {
		if strings.Contains(err.Error(), "no such file") {
			return map[string]string{}
		}
		h.t.Fatalf("read %s: %v", name, err)
	}
	return runnerfile.Map(entries)
}

// loadState passes the saved state to the post step as the runner does.
func (h *harness) loadState() {
	for k, v := range h.readFile("state") {
		h.env["STATE_"+k] = v
	}
}

// countRequests returns how many of the requests srv saw matched method and
// path.
func countRequests(srv *githubapitest.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// requestLines returns "METHOD PATH STATUS" for each request.
func requestLines(reqs []githubapitest.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	return out
}
