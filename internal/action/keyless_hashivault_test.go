package action

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
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
			v := runnertest.StartVault(t, map[string]hashivaulttest.Role{"other-repo": {
				BoundAudiences: []string{"https://github.com/octo-org"},
				BoundClaims:    map[string]string{"sub": "repo:octo-org/other:*"},
				TokenPolicies:  []string{"sign"},
			}})
			gh := runnertest.StartOIDC(t)
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

			main := runKeylessMain(t, h, tt.ok, tt.wantErr, tt.wantHint)
			var got []string
			for _, r := range v.Requests() {
				got = append(got, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			if !slices.Equal(got, tt.wantVault) {
				t.Errorf("Vault requests = %q, want %q", got, tt.wantVault)
			}
			// Every credential obtained (Vault's tokens, the OIDC tokens) must be masked.
			runKeylessPost(t, h, tt.ok, append(gh.Secrets()[1:], v.Secrets()...), main)
		})
	}
}

// BenchmarkMainStepKeyless runs the whole main step with the app's key in
// Vault, logging in with the job's OIDC token: what keyless signing adds
// to BenchmarkMainStep, in requests (OIDC, login, sign) and time.
func BenchmarkMainStepKeyless(b *testing.B) {
	h := newHarness(b, testWorld(b))
	v := runnertest.StartVault(b, nil)
	gh := runnertest.StartOIDC(b)
	delete(h.env, runnertest.InputEnv("private-key"))
	h.runner.Set("signing-key", "hashivault://github-app")
	h.runner.Set("vault-role", "app-token")
	h.runner.Set("vault-address", v.URL())
	for k, val := range gh.Env() {
		h.env[k] = val
	}
	b.ReportAllocs()
	for b.Loop() {
		h.mint(b)
	}
	b.ReportMetric(float64(len(h.srv.Requests()))/float64(b.N), "github-requests/op")
	b.ReportMetric(float64(len(v.Requests())+gh.Issued())/float64(b.N), "kms-requests/op")
}
