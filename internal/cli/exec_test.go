package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// runExec runs app-token exec in process with the child environment env
// and returns its exit status, stdout and stderr.
func runExec(t *testing.T, h *harness, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := h.command("", &stdout, &stderr)
	c.Environ = env
	all := append([]string{"exec", "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octocat"}, args...)
	code := c.Main(t.Context(), all)
	if line, kind := runnertest.SecretsOf(h.srv, h.srv.PrivateKeyPEM()).Find(stdout.String() + stderr.String()); line > 0 {
		t.Errorf("exec output line %d shows %s", line, kind)
	}
	return code, stdout.String(), stderr.String()
}

func TestExec(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs sh")
	}
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "tokens.json")
	env := []string{"PATH=" + os.Getenv("PATH"), "APP_PRIVATE_KEY=" + h.srv.PrivateKeyPEM(), "GH_TOKEN=stale", "KEEP=1"}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"status is the command's", []string{"--", "sh", "-c", "exit 7"}, 7, ""},
		{"token in both variables, no key, rest kept", []string{"--", "sh", "-c",
			`test -n "$GH_TOKEN" && test "$GH_TOKEN" = "$GITHUB_TOKEN" && test "$GH_TOKEN" != stale && test -z "$APP_PRIVATE_KEY" && test "$KEEP" = 1 && test -n "$GIT_CONFIG_COUNT"`}, 0, ""},
		{"killed by a signal", []string{"--", "sh", "-c", "kill -KILL $$"}, 128 + 9, ""},
		{"no such command", []string{"--", "no-such-command-app-token"}, 127, "app-token: exec:"},
		{"no command", nil, 2, "names no command"},
		{"min lifetime past the hour", []string{"--min-lifetime", "2h", "--", "true"}, 2, "--min-lifetime 2h0m0s is not between 0s and 59m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runExec(t, h, env, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit status %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
	if n := len(h.srv.Tokens()); n != 1 {
		t.Errorf("exec minted %d tokens over its runs, want 1 from the cache", n)
	}
}

// TestExecForwardsSignals has the command send SIGTERM to exec, as the
// runner does on cancellation: exec must pass it on, and the command's
// trap decides the exit status. It is not parallel: exec's signal handler
// is the test process's.
func TestExecForwardsSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	h := newHarness(t, runnertest.World())
	h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "tokens.json")
	env := []string{"PATH=" + os.Getenv("PATH")}
	code, _, stderr := runExec(t, h, env, "--", "sh", "-c", `trap 'exit 42' TERM; kill -TERM $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; exit 1`)
	if code != 42 {
		t.Errorf("exit status %d, want 42 from the command's SIGTERM trap\n%s", code, stderr)
	}
}

// startTestBroker starts exec's broker for a harness's app, with --owner
// octocat, --min-lifetime 1m and a cache of its own, and returns them with
// the broker's warnings.
func startTestBroker(t *testing.T) (*harness, *broker, tokencache.Cache, *bytes.Buffer) {
	t.Helper()
	h := newHarness(t, runnertest.World())
	stderr := new(bytes.Buffer)
	c := h.command("", stderr, stderr)
	fs := newFlagSet("exec")
	o := &cachedFlags{}
	o.register(fs, time.Minute)
	if err := fs.Parse([]string{"--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octocat"}); err != nil {
		t.Fatal(err)
	}
	req, err := o.request(c, "exec", fs, newWords())
	if err != nil {
		t.Fatal(err)
	}
	cache := tokencache.Cache{Path: filepath.Join(h.dir, "tokens.json")}
	b, err := startBroker(t.Context(), c, req, cache, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	return h, b, cache, stderr
}

// TestBroker checks exec's token broker: the secret is required, get
// answers the cache's token for the request's server, erase drops it.
func TestBroker(t *testing.T) {
	t.Parallel()
	h, b, cache, _ := startTestBroker(t)
	if _, err := askBroker(t.Context(), b.addr, strings.Repeat("0", len(b.secret)), "get", ""); err == nil || len(h.srv.Tokens()) != 0 {
		t.Fatalf("get with a wrong secret: %v, %d tokens minted; want an error and none", err, len(h.srv.Tokens()))
	}
	got, err := askBroker(t.Context(), b.addr, b.secret, "get", "")
	if err != nil {
		t.Fatal(err)
	}
	tokens := h.srv.Tokens()
	if len(tokens) != 1 || got.Token != tokens[0].Value || !got.ExpiresAt.Equal(tokens[0].ExpiresAt) {
		t.Errorf("get = expiry %v (token matches: %t); want the one minted token", got.ExpiresAt, len(tokens) == 1 && got.Token == tokens[0].Value)
	}
	if _, err := askBroker(t.Context(), b.addr, b.secret, "erase", got.Token); err != nil {
		t.Fatal(err)
	}
	if entries, err := cache.Entries(); err != nil || len(entries) != 0 {
		t.Errorf("after erase the cache holds %d tokens (%v)", len(entries), err)
	}
}

// TestExecGitServer: exec's token and its git helper are for the git
// server of the API the token comes from (GitHub Enterprise Server here,
// with GH_ENTERPRISE_TOKEN for gh), and exec refuses when
// GITHUB_SERVER_URL names another server.
func TestExecGitServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs sh")
	}
	t.Parallel()
	world := runnertest.World()
	world.BasePath = "/api/v3"
	h := newHarness(t, world)
	h.serveAPIAs("https://ghes.example.com/api/v3")
	h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "tokens.json")
	env := []string{"PATH=" + os.Getenv("PATH")}
	code, _, stderr := runExec(t, h, env, "--", "sh", "-c", `test -n "$GH_TOKEN" && test "$GH_ENTERPRISE_TOKEN" = "$GH_TOKEN" &&
		test "$APP_TOKEN_EXEC_SERVER" = https://ghes.example.com &&
		test "$GIT_CONFIG_KEY_1" = credential.https://ghes.example.com/.helper`)
	if code != 0 {
		t.Errorf("exec for GitHub Enterprise Server: exit %d, want 0\n%s", code, stderr)
	}
	h.env["GITHUB_SERVER_URL"] = "https://github.com"
	code, _, stderr = runExec(t, h, env, "--", "true")
	if code != 1 || !strings.Contains(stderr, "exec: the token's API serves git at https://ghes.example.com, but GITHUB_SERVER_URL is https://github.com") {
		t.Errorf("exec with GITHUB_SERVER_URL=https://github.com: exit %d, stderr %q; want a refusal naming both", code, stderr)
	}
}

// TestBrokerMintsOnce: exec's broker serves git's requests concurrently;
// eight at once with no usable token in the cache cost one mint.
func TestBrokerMintsOnce(t *testing.T) {
	t.Parallel()
	h, b, _, stderr := startTestBroker(t)
	const n = 8
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := askBroker(t.Context(), b.addr, b.secret, "get", "")
			if err != nil {
				t.Errorf("get #%d: %v", i, err)
			}
			got[i] = tok.Token
		})
	}
	wg.Wait()
	if tokens := h.srv.Tokens(); len(tokens) != 1 {
		t.Errorf("%d concurrent gets minted %d tokens, want 1\n%s", n, len(tokens), stderr.String())
	}
	for i := range n {
		if got[i] != got[0] {
			t.Errorf("get #%d answered another token than get #0", i)
		}
	}
}
