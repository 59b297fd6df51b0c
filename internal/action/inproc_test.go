package action

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
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
// environment and files (played by runnertest), and with waits recorded
// instead of slept.
type harness struct {
	t      testing.TB
	srv    *githubapitest.Server
	runner *runnertest.Runner
	env    map[string]string // runner.Env
	dir    string            // runner.Dir
	// deadline, when set, bounds each step instead of the production
	// deadlines.
	deadline time.Duration
	// requestTimeout, when set, bounds each attempt instead of the
	// production timeout; tests of a server that never answers set
	// hungAttempt.
	requestTimeout time.Duration
	// advance moves the emulator's clock by each wait the steps ask for,
	// as if they had slept.
	advance bool
	slept   time.Duration
	// moreSecrets, when set, lists secrets besides the emulator's that no
	// log or file may show: a KMS emulator's credentials, OIDC tokens.
	moreSecrets func() []string
}

// hungAttempt bounds each attempt in tests of a server that never answers
// (a fault's Delay of a minute or more), so that the step gets past the
// hung attempts quickly. It is far longer than the emulator takes to
// answer any other request, even on a loaded machine; every other test
// keeps the production timeout, so that a slow answer is never mistaken
// for none.
const hungAttempt = time.Second

func newHarness(t testing.TB, world githubapitest.Config) *harness {
	t.Helper()
	srv := githubapitest.Start(t, world)
	r := runnertest.New(runnertest.Job{Action: mustAction(t), APIURL: srv.URL(), Repository: "octo-org/app", Dir: t.TempDir()})
	r.Set("client-id", testClientID)
	r.Set("private-key", srv.PrivateKeyPEM())
	return &harness{t: t, srv: srv, runner: r, env: r.Env, dir: r.Dir}
}

// run runs the main step (post=false) or the post step.
func (h *harness) run(post bool) stepRun {
	h.t.Helper()
	return h.runCtx(h.t.Context(), post)
}

// runCtx runs a step under ctx, as run does.
func (h *harness) runCtx(ctx context.Context, post bool) stepRun {
	h.t.Helper()
	var log bytes.Buffer
	var mu sync.Mutex
	var r stepRun
	e := testEnv(h.runner, &log)
	e.Core.RequestTimeout = h.requestTimeout
	e.Core.MintDeadline, e.Core.RevokeDeadline = h.deadline, h.deadline
	e.Core.Sleep = func(ctx context.Context, wait time.Duration) error {
		mu.Lock()
		r.waits = append(r.waits, wait)
		if h.advance {
			h.slept += wait
			h.srv.SetClockOffset(h.slept)
		}
		mu.Unlock()
		return ctx.Err()
	}
	if post {
		Post(ctx, e)
	} else if r.err = Main(ctx, e); r.err != nil {
		checkHintForm(h.t, hint.Next(r.err))
		Report(e.Action, r.err)
	}
	r.log = log.String()
	var err error
	if r.outputs, err = h.runner.Outputs(); err != nil {
		h.t.Fatalf("read outputs: %v", err)
	}
	if r.state, err = h.runner.State(); err != nil {
		h.t.Fatalf("read state: %v", err)
	}
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

// testEnv returns the outside world of a step run in-process: inputs and
// variables from r, workflow commands to log, and no waiting between
// retries.
func testEnv(r *runnertest.Runner, log *bytes.Buffer) Env {
	return Env{
		Action:  r.Action(log),
		Environ: r.Environ(),
		Version: "test",
		Core: apptoken.Options{
			Now:   time.Now,
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		},
	}
}

// loadState passes the saved state to the post step as the runner does.
func (h *harness) loadState() {
	h.t.Helper()
	if err := h.runner.LoadState(); err != nil {
		h.t.Fatal(err)
	}
}

// renderedHint returns err's next step as the action prints it.
func renderedHint(err error) string {
	return hint.Render(hint.Next(err), hint.Plain)
}

// checkHintForm fails tb unless next follows package hint's one casing
// rule: one line, starting in lower case (or with the name GitHub), with no
// final period.
func checkHintForm(tb testing.TB, next string) {
	tb.Helper()
	if next == "" {
		return
	}
	r, _ := utf8.DecodeRuneInString(next)
	if unicode.IsUpper(r) && !strings.HasPrefix(next, "GitHub") || strings.HasSuffix(next, ".") || strings.ContainsAny(next, "\r\n") {
		tb.Errorf("hint = %q, want one line in lower case with no final period", next)
	}
}
