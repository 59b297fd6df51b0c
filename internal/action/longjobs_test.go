package action

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/cli"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// cliMainEnv, set to 1, makes the test binary the command line: install-cli
// copies the test binary, and later "host steps" run that copy.
const cliMainEnv = "APP_TOKEN_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliMainEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		c := cli.Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: "test"}
		code := c.Main(ctx, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// tokenTTL is the emulator's token lifetime in these tests, in place of
// GitHub's hour: a git command at one moment and the next one past its
// token's expiry are seconds apart.
const tokenTTL = 5 * time.Second

// gitServer serves bare repositories with git http-backend, through
// net/http/cgi, to requests with Basic x-access-token:TOKEN where TOKEN is
// a live installation token of the emulator for the repository, as GitHub
// serves git over HTTPS; and, as GitHub Enterprise Server does, the
// emulator's API at /api/v3 of the same host (the emulator's BasePath
// must be /api/v3), so that the API's git server is this one.
type gitServer struct {
	URL  string
	srv  *githubapitest.Server
	mu   sync.Mutex
	used []gitAuth
}

// gitAuth is one request's credential and whether it was accepted.
type gitAuth struct {
	token string
	ok    bool
}

func startGitServer(t *testing.T, srv *githubapitest.Server, repos ...string) *gitServer {
	t.Helper()
	backend := filepath.Join(gitOut(t, "", "--exec-path"), "git-http-backend")
	root := t.TempDir()
	seed := t.TempDir()
	gitOut(t, seed, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(seed, "README"), []byte("hello\n"), 0o644)
	gitOut(t, seed, "add", "README")
	gitOut(t, seed, "-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "-q", "-m", "seed")
	for _, repo := range repos {
		bare := filepath.Join(root, repo+".git")
		gitOut(t, "", "init", "-q", "--bare", "-b", "main", bare)
		gitOut(t, bare, "config", "http.receivepack", "true")
		gitOut(t, seed, "push", "-q", bare, "main")
	}
	cgiHandler := &cgi.Handler{
		Path:       backend,
		Root:       "/",
		Env:        []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
		InheritEnv: []string{"PATH"},
	}
	gs := &gitServer{srv: srv}
	api := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v3/") {
			api.ServeHTTP(w, r)
			return
		}
		user, pass, hasAuth := r.BasicAuth()
		owner, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		name, _, _ := strings.Cut(rest, ".git/")
		ok := hasAuth && user == "x-access-token" && gs.live(pass, owner, name)
		if hasAuth {
			gs.mu.Lock()
			gs.used = append(gs.used, gitAuth{pass, ok})
			gs.mu.Unlock()
		}
		if !ok {
			// GitHub asks for Basic credentials, then refuses bad ones alike.
			w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
			http.Error(w, "Invalid username or token. Password authentication is not supported for Git operations.", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	gs.URL = ts.URL
	return gs
}

// live reports whether token is an unexpired, unrevoked token of the
// emulator that reaches repository owner/name (installation 11 is
// octo-org's).
func (gs *gitServer) live(token, owner, name string) bool {
	now := time.Now()
	for _, t := range gs.srv.Tokens() {
		if t.Value != token {
			continue
		}
		return !t.Revoked && now.Before(t.ExpiresAt) && owner == "octo-org" && t.InstallationID == 11 &&
			(t.Repositories == nil || slices.Contains(t.Repositories, name))
	}
	return false
}

// accepted returns the distinct tokens the server accepted, in order.
func (gs *gitServer) accepted() []string {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	var out []string
	for _, u := range gs.used {
		if u.ok && !slices.Contains(out, u.token) {
			out = append(out, u.token)
		}
	}
	return out
}

// gitOut runs git in dir with the test's own environment and returns its
// trimmed output.
func gitOut(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// hostStep is a later run step of the job, on the host: the runner's
// variables, what the action exported with GITHUB_ENV and GITHUB_PATH,
// and extra.
type hostStep struct {
	t   *testing.T
	env []string
	dir string
}

func newHostStep(t *testing.T, h *harness, extra map[string]string) *hostStep {
	t.Helper()
	env := map[string]string{
		"PATH":                os.Getenv("PATH"),
		"HOME":                t.TempDir(),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_TERMINAL_PROMPT": "0",
		"GITHUB_ACTIONS":      "true",
		"RUNNER_TEMP":         h.env["RUNNER_TEMP"],
		"GITHUB_SERVER_URL":   h.env["GITHUB_SERVER_URL"],
		"GITHUB_API_URL":      h.env["GITHUB_API_URL"],
		"GITHUB_REPOSITORY":   h.env["GITHUB_REPOSITORY"],
		cliMainEnv:            "1",
	}
	exported, err := os.ReadFile(h.env["GITHUB_ENV"])
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(exported)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	paths, err := os.ReadFile(h.env["GITHUB_PATH"])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(paths)) {
		env["PATH"] = p + string(os.PathListSeparator) + env["PATH"]
	}
	maps.Copy(env, extra)
	s := &hostStep{t: t, dir: t.TempDir()}
	for k, v := range env {
		s.env = append(s.env, k+"="+v)
	}
	return s
}

// run runs a shell script as a run step would, and returns its combined
// output and exit status.
func (s *hostStep) run(script string) (string, int) {
	s.t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir, cmd.Env = s.dir, s.env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return string(out), code
}

// must runs script and fails the test unless it succeeds.
func (s *hostStep) must(script string) string {
	s.t.Helper()
	out, code := s.run(script)
	if code != 0 {
		s.t.Fatalf("%s: exit status %d\n%s", script, code, out)
	}
	return out
}

// waitExpired sleeps until every token the emulator issued so far has
// expired.
func waitExpired(t *testing.T, srv *githubapitest.Server) {
	t.Helper()
	var last time.Time
	for _, tok := range srv.Tokens() {
		if tok.ExpiresAt.After(last) {
			last = tok.ExpiresAt
		}
	}
	time.Sleep(time.Until(last) + 100*time.Millisecond)
}

// TestLongJob is the story of issue 19 with a real git: the main step
// with install-cli leaves the command line; later host steps clone, fetch
// and push through app-token git-credential across several token
// expiries, a refused token is erased from the cache, app-token exec runs
// a command that outlives its token and whose git still gets fresh
// tokens, and the post step revokes every live token and removes the
// files. No file the action writes holds a key or a token. Both signing
// paths: the private key (in APP_PRIVATE_KEY for the host steps) and
// keyless through Vault with the job's OIDC token (no secret at all).
func TestLongJob(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	if testing.Short() {
		t.Skip("sleeps across token expiries")
	}
	t.Parallel()
	for _, keyless := range []bool{false, true} {
		name := map[bool]string{false: "private key", true: "keyless vault"}[keyless]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			world := runnertest.World()
			world.TokenTTL = tokenTTL
			h, gs := newGitJob(t, world)
			hostEnv := map[string]string{"APP_PRIVATE_KEY": h.srv.PrivateKeyPEM()}
			if keyless {
				key, err := appjwt.ParseKey(h.srv.PrivateKeyPEM())
				if err != nil {
					t.Fatal(err)
				}
				v := hashivaulttest.Start(t, hashivaulttest.Config{
					Key: key,
					Roles: map[string]hashivaulttest.Role{"app-token": {
						BoundAudiences: []string{"https://github.com/octo-org"},
						BoundClaims:    map[string]string{"sub": "repo:octo-org/app:*"},
						TokenPolicies:  []string{"sign"},
					}},
					Policies: map[string][]string{"sign": {"transit/sign/github-app"}},
				})
				gh := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
				delete(h.env, runnertest.InputEnv("private-key"))
				h.runner.Set("signing-key", "hashivault://github-app")
				h.runner.Set("vault-role", "app-token")
				h.runner.Set("vault-address", v.URL())
				hostEnv = gh.Env() // what a run step of a job with id-token: write has
				maps.Copy(h.env, gh.Env())
			}

			main := h.run(false)
			if main.err != nil {
				t.Fatalf("main step: %v\n%s", main.err, main.log)
			}
			installed := filepath.Join(h.dir, "app-token")
			for name, want := range map[string]os.FileMode{"": 0o700 | os.ModeDir, "app-token": 0o755, "config.json": 0o600} {
				fi, err := os.Stat(filepath.Join(installed, name))
				if err != nil {
					t.Fatalf("install-cli: %v", err)
				}
				if fi.Mode() != want {
					t.Errorf("install-cli: mode of %q = %v, want %v", name, fi.Mode(), want)
				}
			}
			host := newHostStep(t, h, hostEnv)
			if got := host.must("command -v app-token"); strings.TrimSpace(got) != filepath.Join(installed, "app-token") {
				t.Errorf("app-token on PATH = %q, want the installed copy in %s", got, installed)
			}
			// The one documented line (with a token lifetime of seconds).
			host.must("git config --global credential." + gs.URL + ".helper '!app-token git-credential --min-lifetime=1s'")

			repo := gs.URL + "/octo-org/app.git"
			host.must("git clone -q " + repo + " work")
			waitExpired(t, h.srv)
			host.must("cd work && git fetch -q")
			host.must("cd work && echo change >> README && git -c user.name=bot -c user.email=bot@example.com commit -qam change")
			waitExpired(t, h.srv)
			host.must("cd work && git push -q origin main")
			waitExpired(t, h.srv)
			host.must("cd work && git pull -q")
			if n := len(gs.accepted()); n < 3 {
				t.Errorf("git used %d tokens across three expiries, want at least 3", n)
			}

			// A token the server refuses: git erases it, the cache drops it,
			// and the next command mints anew.
			cache := tokencache.Cache{Path: filepath.Join(installed, jobdir.CacheName)}
			entries, err := cache.Entries()
			if err != nil || len(entries) == 0 {
				t.Fatalf("cache entries = %d, %v, want the live token", len(entries), err)
			}
			refused := entries[len(entries)-1].Token
			h.srv.ExpireToken(refused)
			// --min-lifetime=0s: the helper hands out the cached token while
			// its expiry, by the cache's reckoning, is ahead, whatever the
			// load of the machine running the test.
			if out, code := host.run("cd work && git -c credential." + gs.URL + ".helper= -c credential." + gs.URL + ".helper='!app-token git-credential --min-lifetime=0s' fetch -q"); code == 0 {
				t.Errorf("git fetch with a refused token succeeded:\n%s", out)
			}
			b, err := os.ReadFile(cache.Path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), refused) {
				t.Errorf("after git's erase, the cache still holds the refused token")
			}
			host.must("cd work && git fetch -q")

			// exec: the command's GH_TOKEN is live at the start; the command
			// outlives it, and its git gets a fresh token from exec.
			// Set the job up to fail without exec's git configuration: a
			// helper and an extra header (as actions/checkout leaves) that
			// send a refused credential.
			host.must("git config --global credential." + gs.URL + ".helper '!f() { echo username=x-access-token; echo password=refused; }; f'")
			host.must("git config --global http." + gs.URL + "/.extraheader 'AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:refused")) + "'")
			if out, code := host.run("cd work && git ls-remote -q origin"); code == 0 {
				t.Fatalf("git with the refused helper and header succeeded: the exec check below proves nothing\n%s", out)
			}
			waitExpired(t, h.srv)
			before := len(gs.accepted())
			host.must(`cd work && app-token exec --min-lifetime=2s -- sh -c '
				test -n "$GH_TOKEN" && test "$GH_TOKEN" = "$GITHUB_TOKEN" || exit 3
				test -z "$APP_PRIVATE_KEY" || exit 4
				git ls-remote -q origin >/dev/null || exit 5
				sleep 6
				git fetch -q && git push -q origin main || exit 6
			'`)
			if n := len(gs.accepted()) - before; n < 2 {
				t.Errorf("exec's command used %d tokens across an expiry, want at least 2", n)
			}
			// No file the action wrote holds a key or a token.
			secrets := runnertest.SecretsOf(h.srv, h.srv.PrivateKeyPEM())
			for _, f := range []string{filepath.Join(installed, "config.json"), h.env["GITHUB_ENV"], h.env["GITHUB_PATH"]} {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if line, kind := secrets.Find(string(b)); line > 0 {
					t.Errorf("%s: line %d shows %s", filepath.Base(f), line, kind)
				}
			}

			// A token GitHub's hour would leave live at the job's end: with
			// a --min-lifetime above the emulator's lifetime, exec mints.
			if _, code := host.run("app-token exec --min-lifetime=1m -- sh -c 'exit 7'"); code != 7 {
				t.Errorf("app-token exec -- sh -c 'exit 7': exit status %d, want 7", code)
			}

			// The post step leaves no live token and no file.
			live := 0
			for _, tok := range h.srv.Tokens() {
				if !tok.Revoked && time.Now().Before(tok.ExpiresAt) {
					live++
				}
			}
			if live == 0 {
				t.Fatal("no live token before the post step: the test proves nothing")
			}
			h.loadState()
			post := h.run(true)
			for _, tok := range h.srv.Tokens() {
				if !tok.Revoked && time.Now().Before(tok.ExpiresAt) {
					t.Errorf("after the post step, a token of installation %d is live (expires %s)\n%s", tok.InstallationID, tok.ExpiresAt, post.log)
				}
			}
			if _, err := os.Stat(installed); !os.IsNotExist(err) {
				t.Errorf("after the post step, Stat(%s) = %v, want not exist", installed, err)
			}
			if line, kind := runnertest.SecretsOf(h.srv, h.srv.PrivateKeyPEM()).Find(redactMasks(post.log)); line > 0 {
				t.Errorf("post step log line %d shows %s", line, kind)
			}
		})
	}
}

// redactMasks drops ::add-mask:: lines, which name a secret to hide it.
func redactMasks(log string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			fmt.Fprintln(&b, l)
		}
	}
	return b.String()
}

// TestHostTemp checks the host path install-cli exports, from the
// variables a container action sees (see hostTemp for the runner source).
func TestHostTemp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		want   string
		wantOK bool
	}{
		{"hosted runner container action", map[string]string{"RUNNER_TEMP": "/github/runner_temp", "RUNNER_WORKSPACE": "/home/runner/work/app"}, "/home/runner/work/_temp", true},
		{"self-hosted work directory", map[string]string{"RUNNER_TEMP": "/github/runner_temp", "RUNNER_WORKSPACE": "/srv/actions/_work/app"}, "/srv/actions/_work/_temp", true},
		{"no workspace", map[string]string{"RUNNER_TEMP": "/github/runner_temp"}, "", false},
		{"translated workspace", map[string]string{"RUNNER_TEMP": "/github/runner_temp", "RUNNER_WORKSPACE": "/github/workspace"}, "", false},
		{"not in a container", map[string]string{"RUNNER_TEMP": "/home/runner/work/_temp", "RUNNER_WORKSPACE": "/home/runner/work/app"}, "/home/runner/work/_temp", true},
	}
	for _, tt := range tests {
		got, ok := hostTemp(func(k string) string { return tt.env[k] })
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: hostTemp() = %q, %t, want %q, %t", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// newGitJob returns a job whose main step installs the command line
// (install-cli) for a token to octo-org/app with contents: write, in a
// runner's temp directory laid out as a real runner's, against a git
// server on loopback that also serves world's GitHub API at /api/v3, as
// GitHub Enterprise Server does: one host for both.
func newGitJob(t *testing.T, world githubapitest.Config) (*harness, *gitServer) {
	t.Helper()
	world.BasePath = "/api/v3"
	h := newHarness(t, world)
	useRunnerTemp(t, h, h.dir)
	gs := startGitServer(t, h.srv, "octo-org/app")
	h.env["GITHUB_SERVER_URL"] = gs.URL
	h.env["GITHUB_API_URL"] = gs.URL + "/api/v3"
	h.env["GITHUB_PATH"] = filepath.Join(h.dir, "path")
	h.runner.Set("github-api-url", gs.URL+"/api/v3")
	h.runner.Set("install-cli", "true")
	h.runner.Set("repositories", "app")
	h.runner.Set("permission-contents", "write")
	return h, gs
}
