package action

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// gcpHarness returns a harness whose signing-key is in the Cloud KMS
// emulator, configured by cfg (the app's key and the usual provider,
// service account and signers are filled in), and the emulators of Cloud
// KMS and of the job's OIDC token service.
func gcpHarness(t *testing.T, cfg func(world githubapitest.Config, c *gcpkmstest.Config)) (*harness, *gcpkmstest.Server, *oidctest.Server) {
	t.Helper()
	world := testWorld(t)
	h := newHarness(t, world)
	o := runnertest.StartOIDC(t)
	principal := "principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/app:*"
	c := gcpkmstest.Config{
		Key:       world.App.Key,
		Providers: []gcpkmstest.Provider{{Name: gcpProvider, Subject: "repo:octo-org/*"}},
		ServiceAccounts: []gcpkmstest.ServiceAccount{{Email: gcpSA,
			Users: []string{"principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/*"}}},
		Signers: []string{"serviceAccount:" + gcpSA, principal},
	}
	if cfg != nil {
		cfg(world, &c)
	}
	g := gcpkmstest.Start(t, c)
	h.moreSecrets = func() []string { return append(o.Secrets(), g.Secrets()...) }
	h.runner.SignWith("gcpkms://"+g.KeyName(), o.Env(), g.Env())
	return h, g, o
}

// gcpCalls returns the emulated project's requests as "API METHOD PATH STATUS".
func gcpCalls(g *gcpkmstest.Server) []string {
	var out []string
	for _, r := range g.Requests() {
		out = append(out, fmt.Sprintf("%s %s %s %d", r.API, r.Method, r.Path, r.Status))
	}
	return out
}

// TestKeylessGCPKeyURIForms runs the main step with the forms of sigstore's
// gcpkms URIs: the version written as versions/N, and no version, when the
// highest-numbered ENABLED RSA_SIGN_PKCS1_*_SHA256 version signs (the
// GitHub emulator verifies the JWT with the app's key, held by version 3
// only) (issue 17, defect 7).
func TestKeylessGCPKeyURIForms(t *testing.T) {
	t.Parallel()
	const key = "projects/app-project/locations/global/keyRings/github/cryptoKeys/app-key"
	tests := []struct {
		name string
		uri  string
	}{
		{name: "versions/N", uri: "gcpkms://" + key + "/versions/3"},
		{name: "cryptoKeyVersions/N", uri: "gcpkms://" + key + "/cryptoKeyVersions/3"},
		{name: "no version", uri: "gcpkms://" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, g, o := gcpHarness(t, func(_ githubapitest.Config, c *gcpkmstest.Config) {
				c.KeyName = key + "/cryptoKeyVersions/3"
				c.Viewers = []string{"serviceAccount:" + gcpSA}
				c.Versions = []gcpkmstest.Version{
					{ID: "1", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256", State: "DESTROYED"},
					{ID: "2", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256"},
					{ID: "4", Algorithm: "RSA_SIGN_PSS_2048_SHA256"},
					{ID: "5", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256", State: "DISABLED"},
				}
			})
			h.runner.Set("signing-key", tt.uri)
			h.runner.Set("gcp-workload-identity-provider", gcpProvider)
			h.runner.Set("gcp-service-account", gcpSA)
			main := runKeylessMain(t, h, true, nil, nil)
			signs := slices.DeleteFunc(gcpCalls(g), func(c string) bool { return !strings.Contains(c, ":asymmetricSign") })
			if want := []string{"cloudkms POST /v1/" + key + "/cryptoKeyVersions/3:asymmetricSign 200"}; !slices.Equal(signs, want) {
				t.Errorf("GCP signatures = %q, want %q", signs, want)
			}
			runKeylessPost(t, h, true, append(o.Secrets()[1:], g.Secrets()...), main)
		})
	}
}

// TestKeylessVaultTransitPath runs the main step with cosign's
// hashivault://KEY and the Transit mount in TRANSIT_SECRET_ENGINE_PATH, the
// variable sigstore's hashivault provider reads; a mount in the URI wins
// over it (issue 17, defect 7).
func TestKeylessVaultTransitPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, uri, mountEnv string
	}{
		{name: "hashivault://KEY and TRANSIT_SECRET_ENGINE_PATH", uri: "hashivault://github-app", mountEnv: "signing/transit"},
		{name: "hashivault://MOUNT/KEY wins", uri: "hashivault://signing/transit/github-app", mountEnv: "transit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			h := newHarness(t, world)
			v := hashivaulttest.Start(t, hashivaulttest.Config{
				Key:      world.App.Key,
				Mount:    "signing/transit",
				Policies: map[string][]string{"sign": {"signing/transit/sign/github-app"}},
			})
			h.runner.SignWith(tt.uri)
			h.env["VAULT_ADDR"], h.env["VAULT_TOKEN"] = v.URL(), v.Token("sign")
			h.env["TRANSIT_SECRET_ENGINE_PATH"] = tt.mountEnv
			h.moreSecrets = v.Secrets
			main := runKeylessMain(t, h, true, nil, nil)
			var got []string
			for _, r := range v.Requests() {
				got = append(got, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			if want := []string{"POST /v1/signing/transit/sign/github-app 200"}; !slices.Equal(got, want) {
				t.Errorf("Vault requests = %q, want %q", got, want)
			}
			runKeylessPost(t, h, true, nil, main)
		})
	}
}

// TestKeylessAWSEndpointInURI runs the main step with sigstore's
// awskms://HOST/KEY: the KMS endpoint is the URI's host, reached over HTTPS
// (here behind a private CA, trusted through ca-certificates), and wins
// over AWS_ENDPOINT_URL_KMS (issue 17, defect 7).
func TestKeylessAWSEndpointInURI(t *testing.T) {
	t.Parallel()
	world := testWorld(t)
	h := newHarness(t, world)
	aws := awskmstest.Start(t, awskmstest.Config{Key: world.App.Key, TLS: true, Aliases: []string{"alias/github-app"},
		Signers: []string{"arn:aws:iam::111122223333:user/ci"}})
	h.runner.SignWith("awskms://"+aws.Host()+"/alias/github-app", aws.User("ci").Env())
	h.runner.Set("ca-certificates", aws.CertificatePEM())
	h.env["AWS_REGION"] = "us-east-1"
	h.env["AWS_ENDPOINT_URL_KMS"] = "https://kms.invalid" // the URI wins
	h.moreSecrets = aws.Secrets
	main := runKeylessMain(t, h, true, nil, nil)
	var ops []string
	for _, q := range aws.Requests() {
		ops = append(ops, q.Op)
	}
	if want := []string{"kms:Sign"}; !slices.Equal(ops, want) {
		t.Errorf("AWS requests = %v, want %v", ops, want)
	}
	runKeylessPost(t, h, true, nil, main)
}

// TestKeylessGCPCredentialsFile runs the main step after
// google-github-actions/auth with its defaults: no token output, but an
// external_account credentials file in the workspace (gha-creds-*.json)
// and GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE
// and GOOGLE_GHA_CREDS_PATH naming it (the runner hands the container its
// /github/workspace path). The step reads the file, gets the job's token
// as the file says, exchanges it and signs; every credential, the file's
// request token too, is masked and shown nowhere (issue 17, defect 1).
func TestKeylessGCPCredentialsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sa        string
		named     string // the path the variables hold; "": the file's
		wantCalls []string
	}{
		{name: "with service_account", sa: gcpSA, wantCalls: []string{"sts", "iamcredentials", "cloudkms"}},
		{name: "the federated identity signs", wantCalls: []string{"sts", "cloudkms"}},
		// auth in a container job exports the path in the job's container,
		// which the runner does not translate for a container action.
		{name: "auth ran in a container job", sa: gcpSA, named: "/__w/app/app/gha-creds-0123456789abcdef.json",
			wantCalls: []string{"sts", "iamcredentials", "cloudkms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, g, o := gcpHarness(t, nil)
			workspace := t.TempDir()
			path := filepath.Join(workspace, "gha-creds-0123456789abcdef.json")
			if err := os.WriteFile(path, g.ExternalAccountFile(gcpProvider, tt.sa, o.Env()), 0o600); err != nil {
				t.Fatal(err)
			}
			h.env["GITHUB_WORKSPACE"] = workspace
			if tt.named != "" {
				path = tt.named
			}
			for _, k := range []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "GOOGLE_GHA_CREDS_PATH"} {
				h.env[k] = path
			}
			h.runner.Set("signing-key", "gcpkms://"+g.KeyName())
			main := runKeylessMain(t, h, true, nil, nil)
			var calls []string
			for _, r := range g.Requests() {
				calls = append(calls, r.API)
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("GCP requests = %q, want %q", calls, tt.wantCalls)
			}
			if got := len(o.Queries()); got != 1 || o.Queries()[0].Get("audience") != "https://iam.googleapis.com/"+gcpProvider {
				t.Errorf("token service requests = %v, want one for auth's audience", o.Queries())
			}
			// The request token from the file is a credential too.
			runKeylessPost(t, h, true, append(o.Secrets(), g.Secrets()...), main)
		})
	}
}
