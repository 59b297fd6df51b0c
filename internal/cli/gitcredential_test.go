package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// TestGitCredential runs git's credential protocol against the helper in
// process: get answers for the GitHub host only, from the cache while the
// token has --min-lifetime left; store does nothing; erase drops the
// token from the cache.
func TestGitCredential(t *testing.T) {
	t.Parallel()
	world := runnertest.World()
	world.BasePath = "/api/v3"
	h := newHarness(t, world)
	h.serveAPIAs("https://ghe.example.com/api/v3")
	cachePath := filepath.Join(h.dir, "cache", "tokens.json")
	h.env["APP_TOKEN_CACHE"] = cachePath
	h.env["GITHUB_SERVER_URL"] = "https://ghe.example.com"
	flags := []string{"git-credential", "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octocat"}
	cred := func(op, request string) result {
		t.Helper()
		return h.run(request, append(flags, op)...)
	}
	const request = "protocol=https\nhost=ghe.example.com\n\n"

	first := cred("get", request)
	tokens := h.srv.Tokens()
	if first.code != 0 || len(tokens) != 1 {
		t.Fatalf("get: exit %d, %d tokens minted, want 0 and 1\n%s", first.code, len(tokens), first.stderr)
	}
	want := "username=x-access-token\npassword=" + tokens[0].Value + "\npassword_expiry_utc=" + strconv.FormatInt(tokens[0].ExpiresAt.Unix(), 10) + "\n"
	if first.stdout != want {
		t.Errorf("get answered %q, want %q", h.redact(first.stdout), h.redact(want))
	}
	if again := cred("get", request); again.stdout != want || len(h.srv.Tokens()) != 1 {
		t.Errorf("a second get minted again (%d tokens) or answered otherwise", len(h.srv.Tokens()))
	}
	b, err := os.ReadFile(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "BEGIN") || !strings.Contains(string(b), tokens[0].Value) {
		t.Errorf("the cache file holds key material or lacks the token")
	}

	for _, tt := range []struct{ name, op, request string }{
		{"other host", "get", "protocol=https\nhost=github.com\n\n"},
		{"other port", "get", "protocol=https\nhost=ghe.example.com:8443\n\n"},
		{"plain http", "get", "protocol=http\nhost=ghe.example.com\n\n"},
		{"store", "store", request + "username=x-access-token\npassword=x\n"},
		{"unknown operation", "list", request},
	} {
		if r := cred(tt.op, tt.request); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q, want 0 and nothing", tt.name, r.code, h.redact(r.stdout), r.stderr)
		}
	}
	if n := len(h.srv.Tokens()); n != 1 {
		t.Errorf("requests for other hosts minted tokens: %d in all, want 1", n)
	}

	if r := cred("erase", request+"username=x-access-token\npassword="+tokens[0].Value+"\n"); r.code != 0 {
		t.Fatalf("erase: exit %d\n%s", r.code, r.stderr)
	}
	entries, err := tokencache.Cache{Path: cachePath}.Entries()
	if err != nil || len(entries) != 0 {
		t.Errorf("after erase the cache holds %d tokens (%v), want none", len(entries), err)
	}
	if r := cred("get", request); r.code != 0 || len(h.srv.Tokens()) != 2 {
		t.Errorf("get after erase: exit %d, %d tokens, want a new one", r.code, len(h.srv.Tokens()))
	}

	// With no app configured at all, another host's request still gets
	// a silent nothing, as git expects of a helper set for every host.
	if r := h.run("protocol=https\nhost=gitlab.example.com\n\n", "git-credential", "get"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("unconfigured get for another host: exit %d, stdout %q, stderr %q, want 0 and nothing", r.code, r.stdout, r.stderr)
	}

	// Git sends one operation; anything else is a usage error.
	if r := h.run(request, flags...); r.code != 2 {
		t.Errorf("git-credential with no operation: exit %d, want 2", r.code)
	}
}

func TestForServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		server, protocol, host string
		want                   bool
	}{
		{"https://github.com", "https", "github.com", true},
		{"https://github.com", "https", "GitHub.com", true},
		{"https://github.com", "https", "gist.github.com", false},
		{"https://github.com", "http", "github.com", false},
		{"http://127.0.0.1:8080", "http", "127.0.0.1:8080", true},
		{"http://127.0.0.1:8080", "http", "127.0.0.1", false},
		{"", "https", "", false},
	}
	for _, tt := range tests {
		if got := forServer(tt.server, map[string]string{"protocol": tt.protocol, "host": tt.host}); got != tt.want {
			t.Errorf("forServer(%q, %s://%s) = %t, want %t", tt.server, tt.protocol, tt.host, got, tt.want)
		}
	}
}

// BenchmarkGitCredential measures one git credential get in process: from
// the cache (what nearly every git command of a long job costs), and with
// a mint (what one in every hour costs; two requests to the emulator).
func BenchmarkGitCredential(b *testing.B) {
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cached", false: "mint"}[cached], func(b *testing.B) {
			h := newHarness(b, runnertest.World())
			h.serveAPIAs("https://api.github.com")
			h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "tokens.json")
			h.env["GITHUB_SERVER_URL"] = "https://github.com"
			args := []string{"git-credential", "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octocat", "get"}
			var out, errOut strings.Builder
			c := h.command("", &out, &errOut)
			for b.Loop() {
				if !cached {
					os.Remove(h.env["APP_TOKEN_CACHE"])
				}
				c.Stdin = strings.NewReader("protocol=https\nhost=github.com\n\n")
				if code := c.Main(b.Context(), args); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut.String())
				}
			}
		})
	}
}

// TestGitServer: the git server a token may go to is the one the API it
// comes from serves, and no other.
func TestGitServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		api, want string
	}{
		{"https://api.github.com", "https://github.com"},
		{"https://api.github.com/", "https://github.com"},
		{"https://API.GitHub.com", "https://github.com"},
		{"https://api.octocorp.ghe.com", "https://octocorp.ghe.com"},
		{"https://ghes.example.com/api/v3", "https://ghes.example.com"},
		{"https://ghes.example.com:8443/api/v3/", "https://ghes.example.com:8443"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://localhost:8080/api/v3", "http://localhost:8080"},
		{"http://ghes.example.com/api/v3", ""},
		{"https://ghes.example.com/prefix/api", ""},
		{"http://api.github.com", ""},
		{"https://api.github.com/api/v3", "https://github.com"}, // config warns of the path; the token is github.com's
		{"ftp://ghes.example.com/api/v3", ""},
		{"https://user:pass@ghes.example.com/api/v3", ""},
		{"https://ghes.example.com/api/v3?access_token=secret", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := gitServer(tt.api)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("gitServer(%q) = %q, %v, want %q", tt.api, got, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "pass") || strings.Contains(err.Error(), "secret")) {
			t.Errorf("gitServer(%q) error shows a secret: %v", tt.api, err)
		}
	}
}

// TestGitCredentialAPIHostOnly is issue 23's first report: with the API
// at the emulator (http://127.0.0.1:PORT) and no GITHUB_SERVER_URL, a
// request for github.com gets no token, and one for the emulator's own
// host does; when GITHUB_SERVER_URL names another server, both are
// refused, naming both.
func TestGitCredentialAPIHostOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "tokens.json")
	self := strings.TrimPrefix(h.srv.URL(), "http://")
	args := []string{"git-credential", "--api-url", h.srv.URL(), "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octo-org", "get"}
	if r := h.run("protocol=https\nhost=github.com\n\n", args...); r.code != 0 || r.stdout != "" || len(h.srv.Tokens()) != 0 {
		t.Errorf("get for github.com: exit %d, stdout %q, %d tokens minted; want 0, nothing, none", r.code, h.redact(r.stdout), len(h.srv.Tokens()))
	}
	if r := h.run("protocol=http\nhost="+self+"\n\n", args...); r.code != 0 || !strings.Contains(r.stdout, "password=") {
		t.Errorf("get for the API's host %s: exit %d, stdout %q, stderr %q; want a token", self, r.code, h.redact(r.stdout), r.stderr)
	}
	h.env["GITHUB_SERVER_URL"] = "https://github.com"
	for _, host := range []string{"https\nhost=github.com", "http\nhost=" + self} {
		r := h.run("protocol="+host+"\n\n", args...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "serves git at "+h.srv.URL()+", but GITHUB_SERVER_URL is https://github.com") {
			t.Errorf("get for %s with GITHUB_SERVER_URL=https://github.com: exit %d, stdout %q, stderr %q; want a refusal naming both", strings.ReplaceAll(host, "\n", " "), r.code, h.redact(r.stdout), r.stderr)
		}
	}
}
