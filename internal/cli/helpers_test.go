package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// harness runs [Command.Main] in-process against an emulator, with the
// app's key in a file and the environment in env.
type harness struct {
	t        testing.TB
	srv      *githubapitest.Server
	dir      string
	keyFile  string
	env      map[string]string
	terminal bool // whether stdin is a terminal
	core     apptoken.Options
}

// result is what one run left behind.
type result struct {
	stdout, stderr string
	code           int
}

func newHarness(tb testing.TB, world githubapitest.Config) *harness {
	tb.Helper()
	srv := githubapitest.Start(tb, world)
	dir := tb.TempDir()
	h := &harness{
		t: tb, srv: srv, dir: dir, keyFile: filepath.Join(dir, "key.pem"),
		env:  map[string]string{"GITHUB_API_URL": srv.URL()},
		core: apptoken.Options{BaseBackoff: time.Millisecond}, // the production per-attempt timeout: a shorter one fails on a loaded machine
	}
	h.writeFile("key.pem", srv.PrivateKeyPEM())
	return h
}

// writeFile writes a file into the harness's directory and returns its
// path.
func (h *harness) writeFile(name, content string) string {
	h.t.Helper()
	path := filepath.Join(h.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// command returns the Command a run uses, reading stdin.
func (h *harness) command(stdin string, stdout, stderr io.Writer) Command {
	return Command{
		Stdin:           strings.NewReader(stdin),
		Stdout:          stdout,
		Stderr:          stderr,
		Getenv:          func(name string) string { return h.env[name] },
		Version:         "v0.0.0-test",
		Core:            h.core,
		StdinIsTerminal: func() bool { return h.terminal },
	}
}

// run runs app-token args with stdin, and fails the test if anything but
// the token command's stdout shows a secret.
func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	code := h.command(stdin, &stdout, &stderr).Main(h.t.Context(), args)
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: code}
	s := runnertest.SecretsOf(h.srv, h.env["APP_PRIVATE_KEY"])
	if line, kind := s.Find(r.stderr); line > 0 {
		h.t.Errorf("app-token %s: stderr line %d shows %s", args[0], line, kind)
	}
	for line := range strings.Lines(r.stderr) {
		next, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "hint: ")
		// A proper noun may start a hint: "GitHub Apps sign with RSA keys".
		lower := next != "" && ('a' <= next[0] && next[0] <= 'z' || strings.HasPrefix(next, "GitHub"))
		// Only a hint about the job's OIDC token (keyless signing in a
		// workflow's run step) may speak of a job.
		job := (strings.Contains(next, "the job") || strings.Contains(next, "runner's")) && !strings.Contains(next, "id-token") && !strings.Contains(next, "OIDC")
		if ok && (!lower || strings.HasSuffix(next, ".") || job) {
			h.t.Errorf("app-token %s: hint %q does not start in lower case, ends in a period, or speaks of a job", args[0], h.redact(next))
		}
	}
	if strings.Contains(r.stdout+r.stderr, "::") {
		h.t.Errorf("app-token %s wrote a workflow command", args[0])
	}
	if args[0] == "token" || args[0] == "git-credential" {
		s = s.WithoutTokens() // it prints the token it minted
	}
	if line, kind := s.Find(r.stdout); line > 0 {
		h.t.Errorf("app-token %s: stdout line %d shows %s", args[0], line, kind)
	}
	return r
}

// redact returns text with the secrets it shows replaced by <token> or
// <jwt>, or withheld if it shows key material, for failure messages.
func (h *harness) redact(text string) string {
	return runnertest.SecretsOf(h.srv, h.env["APP_PRIVATE_KEY"]).Redact(text)
}

// requests returns "METHOD PATH STATUS" for each request the emulator got.
func (h *harness) requests() []string { return requestLines(h.srv.Requests()) }

func requestLines(reqs []githubapitest.Request) []string {
	lines := make([]string, 0, len(reqs))
	for _, r := range reqs {
		lines = append(lines, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	return lines
}

// serveAPIAs makes apiURL (such as https://ghe.example.com/api/v3) the
// API of h's commands, answered by the emulator: their HTTP client sends
// every request to the emulator's address instead, so that a test can
// speak of a real GitHub host while the git server derived from the API
// is that host. The emulator's BasePath must be apiURL's path.
func (h *harness) serveAPIAs(apiURL string) {
	h.t.Helper()
	emu, err := url.Parse(h.srv.URL())
	if err != nil {
		h.t.Fatal(err)
	}
	h.env["GITHUB_API_URL"] = apiURL
	h.core.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = emu.Scheme, emu.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
