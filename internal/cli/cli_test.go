package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"maps"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms/azurekmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestMainDispatch covers the dispatch of Main: help, usage errors and
// the version, with no emulator.
func TestMainDispatch(t *testing.T) {
	t.Parallel()
	pemText := runnertest.KeyInputs()["pkcs1"]
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // prefix
		wantStderr string // substring
	}{
		{name: "no arguments", args: []string{}, wantCode: 2, wantStderr: "App-token mints GitHub App installation access tokens.\n"},
		{args: []string{"help"}, wantStdout: "App-token mints GitHub App installation access tokens."},
		{args: []string{"-h"}, wantStdout: "App-token mints"},
		{args: []string{"--help"}, wantStdout: "App-token mints"},
		{args: []string{"help", "token"}, wantStdout: "usage: app-token token [flags]\n\nToken mints"},
		{args: []string{"token", "-h"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"token", "--help"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"token", "-client-id", "x", "-h"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"revoke", "-help"}, wantStdout: "usage: app-token revoke [flags]\n"},
		{args: []string{"installations", "-h"}, wantStdout: "usage: app-token installations [flags]\n"},
		{args: []string{"help", "version"}, wantStdout: "usage: app-token version\n\nVersion prints"},
		{args: []string{"help", "help"}, wantStdout: "usage: app-token help [command]\n"},
		{args: []string{"version"}, wantStdout: "app-token v0.0.0-test\n"},
		{args: []string{"-version"}, wantStdout: "app-token v0.0.0-test\n"},
		{args: []string{"--version"}, wantStdout: "app-token v0.0.0-test\n"},
		{args: []string{"version", "extra"}, wantCode: 2, wantStderr: "app-token: version: takes no arguments, got 1\n"},
		{args: []string{"help", "nope"}, wantCode: 2, wantStderr: "app-token: help: unknown command \"nope\"\nhint: run `app-token help` for the commands and their flags\n"},
		{args: []string{"help", "token", "revoke"}, wantCode: 2, wantStderr: "app-token: help takes at most one command\n"},
		{args: []string{"nope"}, wantCode: 2, wantStderr: "app-token: unknown command \"nope\"\nhint: run `app-token help`"},
		{args: []string{"--client-id", "x"}, wantCode: 2, wantStderr: "app-token: unknown command \"--client-id\""},
		{name: "key as command", args: []string{pemText}, wantCode: 2, wantStderr: "app-token: an argument holds a private key (not shown)\nhint: pass the key with --private-key-file"},
	}
	for _, tt := range tests {
		name := tt.name
		if name == "" {
			name = strings.Join(tt.args, " ")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			c := Command{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Version: "v0.0.0-test"}
			code := c.Main(t.Context(), tt.args)
			if strings.Contains(stdout.String()+stderr.String(), "MII") || strings.Contains(stdout.String()+stderr.String(), "PRIVATE KEY-----") {
				t.Fatalf("the output shows key material")
			}
			if code != tt.wantCode || !strings.HasPrefix(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit status %d, stdout:\n%s\nstderr:\n%s\nwant %d, stdout starting %q, stderr %q", code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			if tt.wantCode != 0 && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing on a usage error", stdout.String())
			}
			if tt.wantCode == 0 && stderr.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
		})
	}
}

// TestHelpFlags checks that every flag has help, that each command's help
// names its flags, and that the help names the environment the app's
// identity and key come from.
func TestHelpFlags(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands() {
		var b bytes.Buffer
		if err := writeHelp(&b, cmd); err != nil {
			t.Fatal(err)
		}
		fs := newFlagSet(cmd.name)
		cmd.setup(Command{}, fs, newWords())
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == "" || !strings.Contains(b.String(), "  -"+f.Name+" ") && !strings.Contains(b.String(), "  -"+f.Name+"\n") {
				t.Errorf("app-token %s -h does not describe -%s", cmd.name, f.Name)
			}
		})
		if fs.Lookup("client-id") != nil {
			for _, want := range []string{"APP_CLIENT_ID", "APP_PRIVATE_KEY", "--private-key-file"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("app-token %s -h does not mention %s", cmd.name, want)
				}
			}
		}
	}
}

// TestHelpListsCommands checks that the usage lists every command, from
// the one list of commands.
func TestHelpListsCommands(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	writeUsage(&b)
	for _, cmd := range commands() {
		if !strings.Contains(b.String(), "\t"+cmd.name+" ") || !strings.Contains(b.String(), cmd.summary) {
			t.Errorf("usage does not list %s:\n%s", cmd.name, b.String())
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stamped string
		module  string // "-" for no build information
		want    string
	}{
		{name: "stamped", stamped: "v1.2.3", module: "v1.0.0", want: "v1.2.3"},
		{name: "go install", module: "v1.4.0", want: "v1.4.0"},
		{name: "pseudo-version", module: "v1.4.1-0.20260101000000-abcdef123456", want: "v1.4.1-0.20260101000000-abcdef123456"},
		{name: "work tree", module: "(devel)", want: "dev"},
		{name: "empty", module: "", want: "dev"},
		{name: "no build information", module: "-", want: "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			read := func() (*debug.BuildInfo, bool) {
				if tt.module == "-" {
					return nil, false
				}
				return &debug.BuildInfo{Main: debug.Module{Path: "github.com/ghapptoken/app-token-action", Version: tt.module}}, true
			}
			if got := versionOf(tt.stamped, read); got != tt.want {
				t.Errorf("versionOf(%q, module %q) = %q, want %q", tt.stamped, tt.module, got, tt.want)
			}
		})
	}
	if got := Version("v9.9.9"); got != "v9.9.9" {
		t.Errorf(`Version("v9.9.9") = %q, want v9.9.9`, got)
	}
}

// TestPrintWait checks the one line a wait prints on stderr.
func TestPrintWait(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	c := Command{Stderr: &stderr}
	c.printWait(1500*time.Millisecond, "GitHub answered 502; retrying")
	c.printWait(30*time.Second, "rate limited by GitHub")
	want := "app-token: waiting 1.5s: GitHub answered 502; retrying\napp-token: waiting 30s: rate limited by GitHub\n"
	if stderr.String() != want {
		t.Errorf("printWait wrote %q, want %q", stderr.String(), want)
	}
}

// TestTokenWaitsAreSaid checks that a wait, here for GitHub's secondary
// rate limit, prints one line on standard error, so that a script's user
// knows why the command is slow.
func TestTokenWaitsAreSaid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.srv.InjectFault(githubapitest.SecondaryRateLimit("POST", "/app/installations/12/access_tokens", 1))
	h.env["APP_PRIVATE_KEY"] = h.srv.PrivateKeyPEM()
	var waits []time.Duration
	h.core.Sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d) // recorded, not slept: the wait is a minute
		return ctx.Err()
	}
	r := h.run("", "token", "--client-id", runnertest.ClientID, "--owner", "octocat", "--api-url", h.srv.URL())
	if len(waits) != 1 || waits[0] < time.Minute {
		t.Errorf("waits = %v, want one of at least a minute", waits)
	}
	if r.code != 0 {
		t.Fatalf("app-token token exit %d, stderr:\n%s", r.code, h.redact(r.stderr))
	}
	if n := strings.Count(r.stderr, "app-token: waiting "); n != 1 || !strings.Contains(r.stderr, "secondary rate limit") {
		t.Errorf("stderr:\n%s\nwant one wait line naming the secondary rate limit", h.redact(r.stderr))
	}
}

// TestCACertificates checks that --ca-certificates makes a GitHub behind a
// private certificate authority reachable, and that without it the error
// points to the flag.
func TestCACertificates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		withCA   bool
		wantCode int
		wantErr  string
	}{
		{name: "trusted with the flag", withCA: true, wantCode: 0},
		{name: "untrusted without it", wantCode: 1, wantErr: "--ca-certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			srv := httptest.NewTLSServer(h.srv.Handler())
			t.Cleanup(srv.Close)
			h.env["APP_PRIVATE_KEY"] = h.srv.PrivateKeyPEM()
			args := []string{"token", "--client-id", runnertest.ClientID, "--owner", "octocat", "--api-url", srv.URL}
			if tt.withCA {
				ca := h.writeFile("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
				args = append(args, "--ca-certificates", ca)
			}
			r := h.run("", args...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, h.redact(r.stderr), tt.wantCode, tt.wantErr)
			}
		})
	}
}

// TestTokenKeyless checks app-token token with --signing-key against each
// provider's emulator, with the credentials a laptop (or an earlier login
// step) leaves in the environment, and with the job's OIDC token in a
// workflow's run step: a token is minted with no private key anywhere, and
// no credential shows on standard error.
func TestTokenKeyless(t *testing.T) {
	t.Parallel()
	app, _ := runnertest.Keys()
	const sa = "serviceAccount:ci@p.iam.gserviceaccount.com"
	tests := []struct {
		name  string
		setup func(t *testing.T, h *harness) (args []string, secrets func() []string)
	}{
		{"AWS KMS, AWS_* variables", func(t *testing.T, h *harness) ([]string, func() []string) {
			aws := awskmstest.Start(t, awskmstest.Config{Key: app, Aliases: []string{"alias/github-app"}, Signers: []string{"arn:aws:iam::111122223333:user/ci"}})
			maps.Copy(h.env, aws.Env())
			maps.Copy(h.env, aws.User("ci").Env())
			return []string{"--signing-key", "awskms:///alias/github-app"}, aws.Secrets
		}},
		{"Cloud KMS, GOOGLE_OAUTH_ACCESS_TOKEN", func(t *testing.T, h *harness) ([]string, func() []string) {
			g := gcpkmstest.Start(t, gcpkmstest.Config{Key: app, Signers: []string{sa}})
			maps.Copy(h.env, g.Env())
			h.env["GOOGLE_OAUTH_ACCESS_TOKEN"] = g.IssueToken(sa)
			return []string{"--signing-key", "gcpkms://" + g.KeyName()}, g.Secrets
		}},
		{"Vault, VAULT_ADDR and VAULT_TOKEN", func(t *testing.T, h *harness) ([]string, func() []string) {
			v := hashivaulttest.Start(t, hashivaulttest.Config{Key: app, Policies: map[string][]string{"signer": {"transit/sign/github-app"}}})
			h.env["VAULT_ADDR"] = v.URL()
			h.env["VAULT_TOKEN"] = v.Token("signer")
			return []string{"--signing-key", "hashivault://github-app"}, v.Secrets
		}},
		{"Key Vault, AZURE_ACCESS_TOKEN, behind a private CA", func(t *testing.T, h *harness) ([]string, func() []string) {
			const client = "11111111-2222-4333-8444-555555555555"
			az := azurekmstest.Start(t, azurekmstest.Config{Key: app, Apps: []azurekmstest.App{{ClientID: client, Sign: []string{azurekmstest.DefaultKeyName}}}})
			h.env["AZURE_ACCESS_TOKEN"] = az.IssueToken(client, "https://vault.azure.net")
			ca := h.writeFile("ca.pem", string(az.CertPEM()))
			return []string{"--signing-key", az.KeyURI(azurekmstest.DefaultKeyName, ""), "--ca-certificates", ca}, az.Secrets
		}},
		{"Vault, the job's OIDC token in a run step", func(t *testing.T, h *harness) ([]string, func() []string) {
			v := hashivaulttest.Start(t, hashivaulttest.Config{
				Key: app,
				Roles: map[string]hashivaulttest.Role{"app-token": {
					BoundAudiences: []string{"https://github.com/octo-org"},
					BoundClaims:    map[string]string{"sub": "repo:octo-org/app:*"},
					TokenPolicies:  []string{"signer"},
				}},
				Policies: map[string][]string{"signer": {"transit/sign/github-app"}},
			})
			job := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
			maps.Copy(h.env, job.Env())
			h.env["GITHUB_REPOSITORY_OWNER"] = "octo-org"
			return []string{"--signing-key", "hashivault://github-app", "--vault-role", "app-token", "--vault-address", v.URL()},
				func() []string { return append(v.Secrets(), job.Secrets()...) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			args, secrets := tt.setup(t, h)
			delete(h.env, "APP_PRIVATE_KEY")
			r := h.run("", append([]string{"token", "--client-id", runnertest.ClientID, "--owner", "octocat", "--api-url", h.srv.URL()}, args...)...)
			if r.code != 0 || strings.TrimSpace(r.stdout) == "" || len(h.srv.Tokens()) != 1 {
				t.Fatalf("exit %d, stderr:\n%s\nwant one token minted", r.code, h.redact(r.stderr))
			}
			for _, s := range secrets() {
				if strings.Contains(r.stderr+r.stdout, s) {
					t.Error("output shows a KMS credential or OIDC token")
				}
			}
		})
	}

	// Without credentials, the error names both ways, in flags.
	h := newHarness(t, runnertest.World())
	v := hashivaulttest.Start(t, hashivaulttest.Config{Key: app})
	h.env["VAULT_ADDR"] = v.URL()
	r := h.run("", "token", "--client-id", runnertest.ClientID, "--owner", "octocat", "--api-url", h.srv.URL(), "--signing-key", "hashivault://github-app")
	if r.code != 1 || !strings.Contains(r.stderr, "VAULT_TOKEN") || !strings.Contains(r.stderr, "--vault-role") {
		t.Errorf("exit %d, stderr:\n%s\nwant an error naming VAULT_TOKEN and --vault-role", r.code, h.redact(r.stderr))
	}
}

// TestFlagName checks that each input the command line sets renders as
// its flag, or as the variable an access token comes from, and that an
// input of the action alone has no flag.
func TestFlagName(t *testing.T) {
	t.Parallel()
	tests := []struct{ input, want string }{
		{"client-id", "--client-id"},
		{"app-id", "--app-id"},
		{"owner", "--owner"},
		{"repositories", "--repositories"},
		{"repository-ids", "--repository-ids"},
		{"installation-id", "--installation-id"},
		{"enterprise", "--enterprise"},
		{"github-api-url", "--api-url"},
		{"ca-certificates", "--ca-certificates"},
		{"signing-key", "--signing-key"},
		{"aws-role-arn", "--aws-role-arn"},
		{"gcp-workload-identity-provider", "--gcp-workload-identity-provider"},
		{"gcp-service-account", "--gcp-service-account"},
		{"gcp-access-token", "$GOOGLE_OAUTH_ACCESS_TOKEN"},
		{"vault-role", "--vault-role"},
		{"vault-auth-path", "--vault-auth-path"},
		{"vault-address", "--vault-address"},
		{"vault-audience", "--vault-audience"},
		{"azure-client-id", "--azure-client-id"},
		{"azure-tenant-id", "--azure-tenant-id"},
		{"azure-access-token", "$AZURE_ACCESS_TOKEN"},
		{"skip-token-revoke", ""},
		{"private-key", ""}, // rendered by words, with the variable in use
	}
	for _, tt := range tests {
		got, ok := flagName(tt.input)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("flagName(%q) = %q, %v; want %q", tt.input, got, ok, tt.want)
		}
	}
}
