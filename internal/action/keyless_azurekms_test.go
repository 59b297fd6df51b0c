package action

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/azurekms/azurekmstest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestKeylessAzure runs the main and post steps with signing-key naming a
// Key Vault key that holds the app's key: the app's JWT is signed in the
// emulated vault (the GitHub emulator verifies it), after Entra ID took
// the job's OIDC token for a federated credential, or with an access
// token an earlier step made. The vault's certificate is trusted through
// ca-certificates. No access token or OIDC token may show anywhere.
func TestKeylessAzure(t *testing.T) {
	t.Parallel()
	const clientID = "5f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	tests := []struct {
		name      string
		inputs    func(az *azurekmstest.Server) map[string]string
		oidc      bool // the job has permissions: id-token: write
		noCA      bool // ca-certificates left out
		ok        bool
		wantAzure []string
		wantErr   []string
		wantHint  []string
	}{
		{
			name: "federated credential",
			inputs: func(az *azurekmstest.Server) map[string]string {
				return map[string]string{"azure-client-id": clientID, "azure-tenant-id": az.Tenant()}
			},
			oidc:      true,
			ok:        true,
			wantAzure: []string{"POST /{tenant}/oauth2/v2.0/token 200", "POST /keys/app-key//sign 200"},
		},
		{
			name: "access token from an earlier step",
			inputs: func(az *azurekmstest.Server) map[string]string {
				return map[string]string{"azure-access-token": az.IssueToken(clientID, "https://vault.azure.net")}
			},
			ok:        true,
			wantAzure: []string{"POST /keys/app-key//sign 200"},
		},
		{
			name: "federated credential for another repository",
			inputs: func(az *azurekmstest.Server) map[string]string {
				return map[string]string{"azure-client-id": "0a1b2c3d-0000-4000-8000-000000000000", "azure-tenant-id": az.Tenant()}
			},
			oidc:      true,
			wantAzure: []string{"POST /{tenant}/oauth2/v2.0/token 401"},
			wantErr:   []string{"AADSTS700213", "sub repo:octo-org/app:ref:"},
			wantHint:  []string{"azure-client-id", "federated credential"},
		},
		{
			name: "identity without id-token: write",
			inputs: func(az *azurekmstest.Server) map[string]string {
				return map[string]string{"azure-client-id": clientID, "azure-tenant-id": az.Tenant()}
			},
			wantErr:  []string{"OIDC token is not available"},
			wantHint: []string{"id-token: write"},
		},
		{
			name: "vault certificate not trusted",
			inputs: func(az *azurekmstest.Server) map[string]string {
				return map[string]string{"azure-access-token": az.IssueToken(clientID, "https://vault.azure.net")}
			},
			noCA:     true,
			wantErr:  []string{"certificate"},
			wantHint: []string{"ca-certificates"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			h := newHarness(t, world)
			az := azurekmstest.Start(t, azurekmstest.Config{
				Key: world.App.Key,
				Apps: []azurekmstest.App{
					{
						ClientID:    clientID,
						Credentials: []azurekmstest.FederatedCredential{{Subject: "repo:octo-org/app:ref:refs/heads/main"}},
						Sign:        []string{azurekmstest.DefaultKeyName},
					},
					{
						ClientID:    "0a1b2c3d-0000-4000-8000-000000000000",
						Credentials: []azurekmstest.FederatedCredential{{Subject: "repo:octo-org/other:ref:refs/heads/main"}},
						Sign:        []string{"*"},
					},
				},
			})
			gh := runnertest.StartOIDC(t)
			h.runner.SignWith(az.KeyURI(azurekmstest.DefaultKeyName, ""), az.Env())
			if !tt.noCA {
				h.runner.Set("ca-certificates", string(az.CertPEM()))
			}
			for name, val := range tt.inputs(az) {
				h.runner.Set(name, val)
			}
			if tt.oidc {
				maps.Copy(h.env, gh.Env())
			}
			h.moreSecrets = func() []string { return append(gh.Secrets(), az.Secrets()...) }

			main := runKeylessMain(t, h, tt.ok, tt.wantErr, tt.wantHint)
			var got, want []string
			for _, r := range az.Requests() {
				got = append(got, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			for _, w := range tt.wantAzure {
				want = append(want, strings.ReplaceAll(w, "{tenant}", az.Tenant()))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Azure requests = %q, want %q", got, want)
			}
			// Every credential obtained (access tokens, the OIDC tokens) must be masked.
			runKeylessPost(t, h, tt.ok, append(gh.Secrets()[1:], az.Secrets()...), main)
		})
	}
}
