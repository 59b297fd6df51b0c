package action

import (
	"net"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// closedAddress returns a loopback host:port that refuses connections: a
// port the test listened on and closed.
func closedAddress(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestKeylessUnreachable runs the main step with the signing key's KMS
// unreachable (issue 17, defect 3): the error and its hint name the
// provider and its endpoint, never GitHub or github-api-url, and nothing
// is sent to GitHub.
func TestKeylessUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		provider string // the name the error must give the provider
		inputs   map[string]string
		env      map[string]string
	}{
		{
			name:     "vault",
			provider: "Vault",
			inputs:   map[string]string{"signing-key": "hashivault://github-app", "vault-address": "http://{addr}"},
			env:      map[string]string{"VAULT_TOKEN": "hvs.unreachable-test-token"},
		},
		{
			name:     "gcp kms",
			provider: "GCP KMS",
			inputs: map[string]string{
				"signing-key":      "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
				"gcp-access-token": "ya29.unreachable-test-token",
			},
			env: map[string]string{"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS": "http://{addr}/"},
		},
		{
			name:     "aws kms",
			provider: "AWS KMS",
			inputs:   map[string]string{"signing-key": "awskms:///alias/github-app"},
			env: map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_KMS": "http://{addr}",
				"AWS_ACCESS_KEY_ID": "AKIAUNREACHABLE", "AWS_SECRET_ACCESS_KEY": "unreachable-test-secret",
			},
		},
		{
			name:     "azure key vault",
			provider: "Azure Key Vault",
			inputs: map[string]string{
				"signing-key":        "azurekms://{addr}/github-app",
				"azure-access-token": "eyJ0eXAi.unreachable.test",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := closedAddress(t)
			h := newHarness(t, testWorld(t))
			delete(h.env, runnertest.InputEnv("private-key"))
			for name, val := range tt.inputs {
				h.runner.Set(name, strings.ReplaceAll(val, "{addr}", addr))
			}
			for k, val := range tt.env {
				h.env[k] = strings.ReplaceAll(val, "{addr}", addr)
			}
			main := h.run(false)
			if main.err == nil {
				t.Fatal("main step succeeded, want an error")
			}
			msg, next := main.err.Error(), renderedHint(main.err)
			for _, want := range []string{tt.provider, addr} {
				if !strings.Contains(msg+" "+next, want) {
					t.Errorf("main step error = %q, hint %q: want them to name %q", msg, next, want)
				}
			}
			for _, bad := range []string{"github-api-url", "GitHub could not be reached", "GitHub did not answer", "find the app installation"} {
				if strings.Contains(msg+" "+next, bad) {
					t.Errorf("main step error = %q, hint %q: want no %q, since GitHub was not asked", msg, next, bad)
				}
			}
			if n := len(h.srv.Requests()); n != 0 {
				t.Errorf("GitHub got %d requests, want none: the key never signed", n)
			}
		})
	}
}

// TestKeylessFailureIsNotGitHubs runs the main step with a Vault that
// refuses the token (issue 17, defect 4): the error says what failed,
// signing with Vault, not a GitHub request that was never sent.
func TestKeylessFailureIsNotGitHubs(t *testing.T) {
	t.Parallel()
	world := testWorld(t)
	h := newHarness(t, world)
	v := hashivaulttest.Start(t, hashivaulttest.Config{Key: world.App.Key, Policies: map[string][]string{"sign": {"transit/sign/github-app"}}})
	delete(h.env, runnertest.InputEnv("private-key"))
	h.runner.Set("signing-key", "hashivault://github-app")
	h.runner.Set("vault-address", v.URL())
	h.env["VAULT_TOKEN"] = "hvs.not-a-token-vault-issued"
	h.moreSecrets = v.Secrets
	main := h.run(false)
	if main.err == nil {
		t.Fatal("main step succeeded, want an error")
	}
	msg := main.err.Error()
	for _, bad := range []string{"find the app installation", "GET /repos/", "/installation"} {
		if strings.Contains(msg, bad) {
			t.Errorf("main step error = %q: want no %q, since nothing was sent to GitHub", msg, bad)
		}
	}
	if !strings.Contains(msg, "Vault") || !strings.Contains(msg, "sign") {
		t.Errorf("main step error = %q, want it to say that signing with Vault failed", msg)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("GitHub got %d requests, want none", n)
	}
}

// TestKeylessRequiredInputs checks a keyless workflow against action.yml
// as an editor or actionlint reads it (issue 17, defect 5): every input
// marked required is one the workflow sets. With signing-key, private-key
// must be empty, so it cannot be required.
func TestKeylessRequiredInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	delete(h.env, runnertest.InputEnv("private-key"))
	h.runner.Set("signing-key", "hashivault://github-app")
	for name, in := range mustAction(t).Inputs {
		if in.Required && h.env[runnertest.InputEnv(name)] == "" {
			t.Errorf("action.yml: input %s is required, but a keyless workflow leaves it empty", name)
		}
	}
}
