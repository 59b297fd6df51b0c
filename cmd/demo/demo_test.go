package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/action"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestDemo runs the demo as go run ./cmd/demo does and checks its story:
// the main step's requests, log, outputs, state and summary, then the post
// step revoking the token; never a token or the key.
func TestDemo(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), nil, &stdout, &stderr); err != nil {
		t.Fatalf("run() error = %v\nstderr:\n%s", err, &stderr)
	}
	got := stdout.String()
	for _, want := range []string{
		`^GitHub API emulator at http://127\.0\.0\.1:\d+, app "demo-app" \(client ID Iv23liDemo0000000000\)$`,
		`^== main step$`,
		`^::add-mask::<token>$`,
		`^Created a token for installation 42000001 of demo-app \(octo-org\), scoped to 2 repositories, expires at \S+$`,
		`^   GET /repos/octo-org/app/installation -> 200$`,
		`^   POST /app/installations/42000001/access_tokens -> 201$`,
		`^-- outputs \(\$GITHUB_OUTPUT\)$`,
		`^   token=<token>$`,
		`^   installation-id=42000001$`,
		`^   app-slug=demo-app$`,
		`^   permissions=\{"contents":"read","issues":"write","metadata":"read"\}$`,
		`^-- state \(\$GITHUB_STATE\)$`,
		`^-- job summary \(\$GITHUB_STEP_SUMMARY\)$`,
		`^\| Repositories \| app, infra \|$`,
		`^== post step$`,
		`^Token revoked$`,
		`^   DELETE /installation/token -> 204$`,
		`^The token is revoked: true$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(got) {
			t.Errorf("demo printed no line matching %s", want)
		}
	}
	for _, secret := range []string{"ghs_", "PRIVATE KEY", "eyJ"} {
		if strings.Contains(got, secret) {
			t.Errorf("demo printed %q: a token, the key or a JWT", secret)
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("demo wrote to stderr:\n%s", &stderr)
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", got)
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"serve without key", []string{"-serve", "127.0.0.1:0"}, "go together"},
		{"key without serve", []string{"-key", "k.pem"}, "go together"},
		{"arguments", []string{"extra"}, "unexpected arguments"},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) error = %v, want one containing %q", tt.args, err, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("run(%q) wrote %q to stdout, want nothing", tt.args, &stdout)
			}
		})
	}
}

// TestServe starts the emulator as the image smoke test does, runs the
// action's main and post steps against it over loopback, stops it as
// SIGTERM would, and checks the ready line, the key file and the log.
func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	var wg sync.WaitGroup
	var serveErr error
	wg.Go(func() {
		serveErr = run(ctx, []string{"-serve", "127.0.0.1:0", "-key", keyFile}, pw, &stderr)
		pw.Close()
	})

	lines := bufio.NewScanner(pr)
	ready := make(chan string, 1)
	go func() {
		if lines.Scan() {
			ready <- lines.Text()
		}
		close(ready)
	}()
	var line string
	select {
	case line = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("no ready line within 30 s")
	}
	m := regexp.MustCompile(`^emulator ready at (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(line)
	if m == nil {
		cancel()
		wg.Wait()
		t.Fatalf("first line = %q, want emulator ready at http://ADDR (error %v)", line, serveErr)
	}
	apiURL := m[1]

	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(key, []byte("-----BEGIN RSA PRIVATE KEY-----\n")) {
		t.Error("key file does not hold a PKCS#1 PEM private key")
	}

	act, err := runnertest.ReadAction("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	r := runnertest.New(runnertest.Job{Action: act, APIURL: apiURL, Repository: "octo-org/app", Dir: t.TempDir()})
	r.Set("client-id", githubapitest.DefaultConfig().App.ClientID)
	r.Set("private-key", string(key))
	r.Set("owner", "octo-org")
	var log bytes.Buffer
	if err := action.Main(t.Context(), action.Env{Action: r.Action(&log), Environ: r.Environ()}); err != nil {
		t.Errorf("main step against the served emulator: %v", err)
	}
	outputs, err := r.Outputs()
	if err != nil || outputs["token"] == "" || outputs["installation-id"] != "42000001" {
		t.Errorf("main step outputs: token set %t, installation-id %q, error %v; want a token of installation 42000001",
			outputs["token"] != "", outputs["installation-id"], err)
	}
	if err := r.LoadState(); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	action.Post(t.Context(), action.Env{Action: r.Action(&log), Environ: r.Environ()})
	if !strings.Contains(log.String(), "Token revoked") {
		t.Errorf("post step did not revoke the token")
	}

	cancel()
	wg.Wait()
	if serveErr != nil {
		t.Errorf("serve error = %v", serveErr)
	}
	if lines.Scan() {
		t.Errorf("serve printed a second line to stdout: %q", lines.Text())
	}
	for _, want := range []string{
		"GET /users/octo-org/installation -> 200\n",
		"POST /app/installations/42000001/access_tokens -> 201\n",
		"DELETE /installation/token -> 204\n",
		"tokens: 1 issued, 1 revoked\n",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("serve log has no %q:\n%s", want, &stderr)
		}
	}
}

// TestSmokeScriptClientID checks that the image smoke test, which runs the
// image against -serve, names the demo world's app.
func TestSmokeScriptClientID(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../.github/scripts/smoke-image.sh")
	if err != nil {
		t.Fatal(err)
	}
	want := "\nclient_id=" + githubapitest.DefaultConfig().App.ClientID + "\n"
	if !strings.Contains(string(b), want) {
		t.Errorf("smoke-image.sh has no line %q", strings.TrimSpace(want))
	}
}
