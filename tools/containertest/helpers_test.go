package containertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

// engine returns the engine DOCKER_HOST names. It skips the test when none
// is configured, and fails it when one is configured but unusable: CI
// always configures one, so it never skips there.
func engine(tb testing.TB) *Engine {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := FromEnv(ctx, os.Getenv)
	if errors.Is(err, ErrNoEngine) {
		tb.Skipf("no Docker engine: DOCKER_HOST is not set; from the repository root run %s", RunCommand)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

var (
	buildOnce  sync.Once
	builtImage Image
	buildErr   error
)

// image returns the action's image, built once per test binary.
func image(tb testing.TB, e *Engine) Image {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "containertest-image")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		builtImage, buildErr = BuildImage(ctx, e, repoRoot, dir)
	})
	if buildErr != nil {
		tb.Fatalf("build the image: %v", buildErr)
	}
	return builtImage
}

// action returns the repository's action.yml.
func action(tb testing.TB) *runnertest.Action {
	tb.Helper()
	a, err := runnertest.ReadAction(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// emulator starts the GitHub API emulator with its default world.
func emulator(tb testing.TB) *githubapitest.Server {
	tb.Helper()
	return githubapitest.Start(tb, githubapitest.DefaultConfig())
}

// newJob returns a job against apiURL whose inputs are the app's client ID
// and key.
func newJob(tb testing.TB, srv *githubapitest.Server, apiURL string) *Job {
	tb.Helper()
	j, err := NewJob(tb.TempDir(), action(tb), apiURL, repository)
	if err != nil {
		tb.Fatal(err)
	}
	j.Runner.Set("client-id", githubapitest.DefaultConfig().App.ClientID)
	j.Runner.Set("private-key", srv.PrivateKeyPEM())
	return j
}

// run runs step to its end, and removes its container if it stays.
func run(tb testing.TB, e *Engine, s Step) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Minute)
	defer cancel()
	tb.Cleanup(func() { s.Remove(context.Background(), e) })
	res, err := s.Run(ctx, e)
	if err != nil {
		tb.Fatalf("%v\n%s", err, res.Log)
	}
	return res
}

// redact returns s, for a failure message, with the tokens srv issued and
// the JWTs it received shown as <token> and <jwt>, or withheld whole if it
// shows the app's private key: the project's one redactor
// ([runnertest.Secrets]), which knows each secret exactly.
func redact(srv *githubapitest.Server, s string) string {
	return runnertest.SecretsOf(srv, srv.PrivateKeyPEM()).Redact(s)
}

// valid returns how many of the tokens the emulator issued are still
// valid: neither revoked nor expired.
func valid(srv *githubapitest.Server) int {
	n := 0
	for _, t := range srv.Tokens() {
		if !t.Revoked && t.ExpiresAt.After(time.Now()) {
			n++
		}
	}
	return n
}

// requestLines returns the emulator's requests as "METHOD path status".
func requestLines(srv *githubapitest.Server) string {
	var b strings.Builder
	for _, r := range srv.Requests() {
		b.WriteString(r.Method + " " + r.Path + " " + httpStatus(r.Status) + "\n")
	}
	return b.String()
}

func httpStatus(code int) string {
	if code == 0 {
		return "(no answer)"
	}
	return strconv.Itoa(code)
}
