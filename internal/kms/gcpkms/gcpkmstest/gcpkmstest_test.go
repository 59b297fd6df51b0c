package gcpkmstest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const provider = "projects/1/locations/global/workloadIdentityPools/gh/providers/gh"

func start(t *testing.T) (*gcpkmstest.Server, *oidctest.Server) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return gcpkmstest.Start(t, gcpkmstest.Config{
		Key:       key,
		Providers: []gcpkmstest.Provider{{Name: provider}},
		Signers:   []string{"serviceAccount:signer@p.iam.gserviceaccount.com"},
	}), oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
}

// oidcToken fetches a token from the OIDC emulator as the runner's client would.
func oidcToken(t *testing.T, o *oidctest.Server, aud string) string {
	t.Helper()
	env := o.Env()
	req, _ := http.NewRequest(http.MethodGet, env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience="+url.QueryEscape(aud), nil)
	req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Value string }
	json.NewDecoder(resp.Body).Decode(&out)
	return out.Value
}

func post(t *testing.T, u, contentType, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSTSJSON exchanges a token in the JSON form google-github-actions/auth
// sends.
func TestSTSJSON(t *testing.T) {
	t.Parallel()
	s, o := start(t)
	body, _ := json.Marshal(map[string]string{
		"audience":           "//iam.googleapis.com/" + provider,
		"grantType":          "urn:ietf:params:oauth:grant-type:token-exchange",
		"requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
		"scope":              "https://www.googleapis.com/auth/cloud-platform",
		"subjectTokenType":   "urn:ietf:params:oauth:token-type:jwt",
		"subjectToken":       oidcToken(t, o, "https://iam.googleapis.com/"+provider),
	})
	code, got := post(t, s.URL()+"/sts/v1/token", "application/json", "", string(body))
	if code != http.StatusOK || !strings.Contains(got, `"access_token":"ya29.`) {
		t.Errorf("token exchange = %d %s, want 200 with an access_token", code, got)
	}
}

func TestKMSRefusals(t *testing.T) {
	t.Parallel()
	s, _ := start(t)
	signURL := s.URL() + "/cloudkms/v1/" + s.KeyName() + ":asymmetricSign"
	digest := `{"sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}`
	tests := []struct {
		name   string
		bearer string
		body   string
		want   int
		status string
	}{
		{"no bearer token", "", `{"digest":` + digest + `}`, 401, "UNAUTHENTICATED"},
		{"forged bearer token", "ya29.forged", `{"digest":` + digest + `}`, 401, "UNAUTHENTICATED"},
		{"principal without useToSign", s.IssueToken("serviceAccount:other@p.iam.gserviceaccount.com"), `{"digest":` + digest + `}`, 403, "PERMISSION_DENIED"},
		{"wrong digest checksum", s.IssueToken("serviceAccount:signer@p.iam.gserviceaccount.com"), `{"digest":` + digest + `,"digestCrc32c":"1"}`, 400, "INVALID_ARGUMENT"},
		{"digest too short", s.IssueToken("serviceAccount:signer@p.iam.gserviceaccount.com"), `{"digest":{"sha256":"AAAA"}}`, 400, "INVALID_ARGUMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := post(t, signURL, "application/json", tt.bearer, tt.body)
			if code != tt.want || !strings.Contains(got, `"status":"`+tt.status+`"`) {
				t.Errorf("asymmetricSign = %d %s, want %d %s", code, got, tt.want, tt.status)
			}
		})
	}
}

// TestKeyVersionReads checks get, getPublicKey and list: each answers the
// principal with its permission, and 403 to one without.
func TestKeyVersionReads(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := gcpkmstest.Start(t, gcpkmstest.Config{
		Key:              key,
		Algorithm:        "RSA_SIGN_PSS_2048_SHA256",
		Versions:         []gcpkmstest.Version{{ID: "2", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256"}, {ID: "3", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256", State: "DISABLED"}},
		Viewers:          []string{"serviceAccount:viewer@p.iam.gserviceaccount.com"},
		PublicKeyViewers: []string{"serviceAccount:verifier@p.iam.gserviceaccount.com"},
	})
	viewer := s.IssueToken("serviceAccount:viewer@p.iam.gserviceaccount.com")
	verifier := s.IssueToken("serviceAccount:verifier@p.iam.gserviceaccount.com")
	base := s.URL() + "/cloudkms/v1/"
	parent := strings.TrimSuffix(s.KeyName(), "/cryptoKeyVersions/1")
	tests := []struct {
		name, url, bearer string
		want              int
		body              string
	}{
		{"get", base + s.KeyName(), viewer, 200, `"algorithm":"RSA_SIGN_PSS_2048_SHA256"`},
		{"get without permission", base + s.KeyName(), verifier, 403, "cloudkms.cryptoKeyVersions.get"},
		{"getPublicKey", base + s.KeyName() + "/publicKey", verifier, 200, `"pem":"-----BEGIN PUBLIC KEY-----`},
		{"getPublicKey without permission", base + s.KeyName() + "/publicKey", viewer, 403, "viewPublicKey"},
		{"getPublicKey of a disabled version", base + parent + "/cryptoKeyVersions/3/publicKey", verifier, 400, "FAILED_PRECONDITION"},
		{"list, first page", base + parent + "/cryptoKeyVersions", viewer, 200, `"nextPageToken":"page-2"`},
		{"list, last page", base + parent + "/cryptoKeyVersions?pageToken=page-2", viewer, 200, `"state":"DISABLED"`},
		{"list without permission", base + parent + "/cryptoKeyVersions", verifier, 403, "cloudkms.cryptoKeyVersions.list"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		req.Header.Set("Authorization", "Bearer "+tt.bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.body) {
			t.Errorf("%s = %d %s, want %d with %s", tt.name, resp.StatusCode, b, tt.want, tt.body)
		}
	}
}

// TestRolePermissions checks each role bound on the key against the
// methods of a key version: a principal may call a method only if its
// role holds the method's permission, as IAM lists the roles' permissions;
// every refusal is counted.
func TestRolePermissions(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const (
		signer   = "serviceAccount:signer@p.iam.gserviceaccount.com"
		verifier = "serviceAccount:verifier@p.iam.gserviceaccount.com"
		pub      = "serviceAccount:pub@p.iam.gserviceaccount.com"
		viewer   = "serviceAccount:viewer@p.iam.gserviceaccount.com"
	)
	s := gcpkmstest.Start(t, gcpkmstest.Config{
		Key:              key,
		Signers:          []string{signer},
		SignerVerifiers:  []string{verifier},
		PublicKeyViewers: []string{pub},
		Viewers:          []string{viewer},
	})
	base := s.URL() + "/cloudkms/v1/"
	parent := strings.TrimSuffix(s.KeyName(), "/cryptoKeyVersions/1")
	digest := `{"digest":{"sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}`
	do := func(method, u, principal string) int {
		req, _ := http.NewRequest(method, u, strings.NewReader(digest))
		req.Header.Set("Authorization", "Bearer "+s.IssueToken(principal))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	methods := []struct{ name, method, url string }{
		{"asymmetricSign", http.MethodPost, base + s.KeyName() + ":asymmetricSign"},
		{"getPublicKey", http.MethodGet, base + s.KeyName() + "/publicKey"},
		{"get", http.MethodGet, base + s.KeyName()},
		{"list", http.MethodGet, base + parent + "/cryptoKeyVersions"},
	}
	// want holds the status of each method, in methods' order.
	roles := []struct {
		role, principal string
		want            [4]int
	}{
		{"roles/cloudkms.signer", signer, [4]int{200, 403, 403, 403}},
		{"roles/cloudkms.signerVerifier", verifier, [4]int{200, 200, 403, 403}},
		{"roles/cloudkms.publicKeyViewer", pub, [4]int{403, 200, 403, 403}},
		{"roles/cloudkms.viewer", viewer, [4]int{403, 403, 200, 200}},
	}
	refusals := 0
	for _, r := range roles {
		for i, m := range methods {
			if got := do(m.method, m.url, r.principal); got != r.want[i] {
				t.Errorf("%s with %s = %d, want %d", m.name, r.role, got, r.want[i])
			}
			if r.want[i] == http.StatusForbidden {
				refusals++
			}
		}
	}
	if got := len(s.Refused()); got != refusals {
		t.Errorf("Refused() holds %d requests, want %d", got, refusals)
	}
}
