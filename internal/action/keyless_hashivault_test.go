package action

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestKeylessVault runs the main and post steps with signing-key naming a
// Vault Transit key that holds the app's key: the app's JWT is signed in
// Vault (the GitHub emulator verifies it), after a login with the job's
// OIDC token or with the VAULT_TOKEN an earlier step exported. No Vault
// token or OIDC token may show anywhere.
func TestKeylessVault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		inputs    map[string]string
		env       func(v *hashivaulttest.Server) map[string]string
		oidc      bool // the job has permissions: id-token: write
		ok        bool
		wantVault []string
		wantErr   []string
		wantHint  []string
	}{
		{
			name:      "oidc login as a role",
			inputs:    map[string]string{"signing-key": "hashivault://github-app", "vault-role": "app-token", "vault-address": "{vault}"},
			oidc:      true,
			ok:        true,
			wantVault: []string{"POST /v1/auth/jwt/login 200", "POST /v1/transit/sign/github-app 200"},
		},
		{
			name:   "ambient VAULT_ADDR and VAULT_TOKEN",
			inputs: map[string]string{"signing-key": "hashivault://transit/github-app"},
			env: func(v *hashivaulttest.Server) map[string]string {
				return map[string]string{"VAULT_ADDR": v.URL(), "VAULT_TOKEN": v.Token("sign")}
			},
			ok:        true,
			wantVault: []string{"POST /v1/transit/sign/github-app 200"},
		},
		{
			name:      "role bound to another repository",
			inputs:    map[string]string{"signing-key": "hashivault://github-app", "vault-role": "other-repo", "vault-address": "{vault}"},
			oidc:      true,
			wantVault: []string{"POST /v1/auth/jwt/login 400"},
			wantErr:   []string{`claim "sub" does not match any associated bound claim values`, "sub repo:octo-org/app:ref:"},
			wantHint:  []string{"vault-role", "bound_claims"},
		},
		{
			name:     "role without id-token: write",
			inputs:   map[string]string{"signing-key": "hashivault://github-app", "vault-role": "app-token", "vault-address": "{vault}"},
			wantErr:  []string{"OIDC token is not available"},
			wantHint: []string{"id-token: write"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			key, err := appjwt.ParseKey(h.srv.PrivateKeyPEM())
			if err != nil {
				t.Fatal(err)
			}
			v := hashivaulttest.Start(t, hashivaulttest.Config{
				Key: key,
				Roles: map[string]hashivaulttest.Role{
					"app-token": {
						BoundAudiences: []string{"https://github.com/octo-org"},
						BoundClaims:    map[string]string{"sub": "repo:octo-org/app:*"},
						TokenPolicies:  []string{"sign"},
					},
					"other-repo": {
						BoundAudiences: []string{"https://github.com/octo-org"},
						BoundClaims:    map[string]string{"sub": "repo:octo-org/other:*"},
						TokenPolicies:  []string{"sign"},
					},
				},
				Policies: map[string][]string{"sign": {"transit/sign/github-app"}},
			})
			gh := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
			delete(h.env, runnertest.InputEnv("private-key"))
			for name, val := range tt.inputs {
				h.runner.Set(name, strings.ReplaceAll(val, "{vault}", v.URL()))
			}
			if tt.oidc {
				for k, val := range gh.Env() {
					h.env[k] = val
				}
			}
			if tt.env != nil {
				for k, val := range tt.env(v) {
					h.env[k] = val
				}
			}
			h.moreSecrets = func() []string { return append(gh.Secrets(), v.Secrets()...) }

			main := h.runTracked(false)
			if (main.err == nil) != tt.ok {
				t.Fatalf("main step error = %v, want success %t", redactSecrets(h, errorText(main.err)), tt.ok)
			}
			if tt.ok {
				tokens := h.srv.Tokens()
				if len(tokens) != 1 || main.outputs["token"] != tokens[0].Value {
					t.Errorf("main step: token output is not the one token GitHub issued (%d issued)", len(tokens))
				}
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(errorText(main.err), want) {
					t.Errorf("main step error = %q, want it to hold %q", redactSecrets(h, errorText(main.err)), want)
				}
			}
			for _, want := range tt.wantHint {
				if got := renderedHint(main.err); !strings.Contains(got, want) {
					t.Errorf("main step hint = %q, want it to hold %q", got, want)
				}
			}
			var got []string
			for _, r := range v.Requests() {
				got = append(got, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			if !slices.Equal(got, tt.wantVault) {
				t.Errorf("Vault requests = %q, want %q", got, tt.wantVault)
			}
			h.loadState()
			post := h.runTracked(true)
			var mustMask []string // every credential obtained: Vault's tokens, the OIDC tokens
			if tt.ok {
				mustMask = append(gh.Secrets()[1:], v.Secrets()...)
			}
			checkKeylessLeaks(t, h, mustMask, main, post)
		})
	}
}

// checkKeylessLeaks checks that no secret (key material, JWTs, GitHub's,
// Vault's and the OIDC service's tokens) shows in the steps' errors, logs
// or files, except in its own ::add-mask:: line, and that every Vault and
// OIDC token in mustMask was masked in the main step before any other
// line. (checkNoLeaks would refuse
// the add-mask lines of these credentials, which come before the GitHub
// token's.)
func checkKeylessLeaks(t *testing.T, h *harness, mustMask []string, runs ...trackedRun) {
	t.Helper()
	s := harnessSecrets(h)
	kms := h.moreSecrets()
	for _, r := range runs {
		step := map[bool]string{false: "main", true: "post"}[r.post]
		if line, kind := s.Find(errorText(r.err)); line > 0 {
			t.Errorf("%s step error line %d shows %s", step, line, kind)
		}
		var shown []string
		masked, first := map[string]bool{}, true
		for _, line := range strings.Split(r.log, "\n") {
			if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
				masked[v] = masked[v] || first
				continue
			}
			first = false
			shown = append(shown, line)
		}
		if line, kind := s.Find(strings.Join(shown, "\n")); line > 0 {
			t.Errorf("%s step log (add-mask lines left out) line %d shows %s", step, line, kind)
		}
		for _, secret := range kms {
			if (strings.Contains(r.log, secret) || !r.post && slices.Contains(mustMask, secret)) && !masked[secret] {
				t.Errorf("%s step log: a Vault or OIDC credential is not masked before the first other line", step)
			}
		}
	}
	for _, p := range s.CheckFiles(h.dir) {
		t.Errorf("%s", p)
	}
}
