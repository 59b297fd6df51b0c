package kms_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/kms"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms/azurekmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// appKey is the app's key of the tests' world (runnertest.Keys).
func appKey() *rsa.PrivateKey {
	k, _ := runnertest.Keys()
	return k
}

// federated is a provider's emulator, set up so that the job's OIDC token
// buys a credential that may sign with the app's key: the key's URI, the
// identity inputs, the step's environment, the HTTP client that trusts
// the emulator, and how much later the credential it issues has less
// than kmshttp.Margin left.
type federated struct {
	uri    string
	values map[string]string
	env    map[string]string
	http   *http.Client
	later  time.Duration
}

// federations are the emulators of every provider, by scheme.
// now is the clock of the step, and of an emulator that takes one.
var federations = map[string]func(tb testing.TB, now func() time.Time) federated{
	"awskms": func(tb testing.TB, now func() time.Time) federated {
		const role = "arn:aws:iam::111122223333:role/app-token"
		aws := awskmstest.Start(tb, awskmstest.Config{Key: appKey(), Roles: map[string]string{role: "repo:octo-org/*"}, Signers: []string{role}, Now: now})
		// STS grants 900 s (the Expiration it answers).
		return federated{uri: "awskms:///" + aws.KeyARN(), values: map[string]string{"aws-role-arn": role}, env: aws.Env(), later: 14*time.Minute + 30*time.Second}
	},
	"gcpkms": func(tb testing.TB, _ func() time.Time) federated {
		const provider = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
		principal := "principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/subject/repo:octo-org/app:ref:refs/heads/main"
		g := gcpkmstest.Start(tb, gcpkmstest.Config{
			Key:              appKey(),
			Providers:        []gcpkmstest.Provider{{Name: provider, Subject: "repo:octo-org/*"}},
			Signers:          []string{principal},
			PublicKeyViewers: []string{principal},
		})
		// STS's token: expires_in 3600.
		return federated{uri: "gcpkms://" + g.KeyName(), values: map[string]string{"gcp-workload-identity-provider": provider}, env: g.Env(), later: time.Hour}
	},
	"hashivault": func(tb testing.TB, _ func() time.Time) federated {
		v := hashivaulttest.Start(tb, hashivaulttest.Config{
			Key:      appKey(),
			Keys:     map[string]string{"github-app": "rsa-2048"},
			Roles:    map[string]hashivaulttest.Role{"app-token": {BoundAudiences: []string{"https://github.com/octo-org"}, BoundClaims: map[string]string{"sub": "repo:octo-org/app:*"}, TokenPolicies: []string{"sign"}}},
			Policies: map[string][]string{"sign": {"transit/sign/github-app"}},
		})
		// The login's lease_duration: 3600.
		return federated{uri: "hashivault://github-app", values: map[string]string{"vault-role": "app-token", "vault-address": v.URL()},
			env: map[string]string{"GITHUB_REPOSITORY_OWNER": "octo-org"}, later: time.Hour}
	},
	"azurekms": func(tb testing.TB, _ func() time.Time) federated {
		const clientID = "5f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
		az := azurekmstest.Start(tb, azurekmstest.Config{
			Key: appKey(),
			Apps: []azurekmstest.App{{
				ClientID:    clientID,
				Credentials: []azurekmstest.FederatedCredential{{Subject: "repo:octo-org/app:ref:refs/heads/main"}},
				Sign:        []string{azurekmstest.DefaultKeyName},
			}},
		})
		// Entra ID's token: expires_in 3599.
		return federated{uri: az.KeyURI(azurekmstest.DefaultKeyName, ""), values: map[string]string{"azure-client-id": clientID, "azure-tenant-id": az.Tenant()},
			env: az.Env(), http: az.Client(), later: time.Hour}
	},
}

// TestCredentialRenewed signs with each provider of the registry as the
// action does (kms.New), with the job's OIDC token: the credential it
// buys serves the next signature, and one near its expiry is bought
// again, once, before the signature that would need it.
func TestCredentialRenewed(t *testing.T) {
	t.Parallel()
	for _, p := range kms.Providers() {
		t.Run(p.Scheme, func(t *testing.T) {
			t.Parallel()
			start, ok := federations[p.Scheme]
			if !ok {
				t.Fatalf("no emulator for %s: add one to federations", p.Scheme)
			}
			var offset atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			f := start(t, now)
			job := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
			env := map[string]string{"GITHUB_REPOSITORY": "octo-org/app"}
			for _, m := range []map[string]string{job.Env(), f.env} {
				for k, v := range m {
					env[k] = v
				}
			}
			getenv := func(k string) string { return env[k] }
			var exchanges atomic.Int32
			s, _, err := kms.New(f.uri, f.values, kms.Env{
				HTTP:   f.http,
				Getenv: getenv,
				Now:    now,
				Sleep:  func(context.Context, time.Duration) error { return nil },
				OIDC: func(ctx context.Context, audience string) (string, error) {
					exchanges.Add(1)
					return oidc.Fetcher{Getenv: getenv}.Fetch(ctx, audience)
				},
			})
			if err != nil {
				t.Fatalf("kms.New(%q) error = %v", f.uri, err)
			}
			digest := sha256.Sum256([]byte("header.claims"))
			sign := func(when string, want int32) {
				t.Helper()
				if _, err := s.SignDigest(t.Context(), digest[:]); err != nil {
					t.Fatalf("SignDigest() %s: %v", when, err)
				}
				if got := exchanges.Load(); got != want {
					t.Errorf("SignDigest() %s: %d exchanges of the job's OIDC token in all, want %d", when, got, want)
				}
			}
			sign("first", 1)
			sign("again", 1)
			offset.Store(int64(f.later))
			sign("near the credential's expiry", 2)
			sign("after the renewal", 2)
		})
	}
}
