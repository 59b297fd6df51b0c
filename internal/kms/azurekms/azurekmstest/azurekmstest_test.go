package azurekmstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const testClient = "5f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"

func start(t *testing.T) (*Server, *oidctest.Server) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, Config{Key: k, Apps: []App{{
		ClientID:    testClient,
		Credentials: []FederatedCredential{{Subject: "repo:octo-org/app:*"}},
		Sign:        []string{DefaultKeyName},
	}}})
	return s, oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
}

// jobToken fetches the job's OIDC token for audience from o.
func jobToken(t *testing.T, o *oidctest.Server, audience string) string {
	t.Helper()
	env := o.Env()
	req, _ := http.NewRequest("GET", env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience="+url.QueryEscape(audience), nil)
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

func do(t *testing.T, s *Server, method, path, contentType, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	s, o := start(t)
	good := jobToken(t, o, "api://AzureADTokenExchange")
	other := jobToken(t, o, "sts.amazonaws.com")
	form := func(clientID, scope, assertion string) string {
		return url.Values{"client_id": {clientID}, "scope": {scope}, "grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}.Encode()
	}
	path := "/" + s.Tenant() + "/oauth2/v2.0/token"
	tests := []struct {
		name, path, body string
		wantStatus       int
		want             string // in the body
	}{
		{"federated credential", path, form(testClient, "https://vault.azure.net/.default", good), 200, `"token_type":"Bearer","expires_in":3599`},
		{"other tenant", "/contoso.onmicrosoft.com/oauth2/v2.0/token", form(testClient, "https://vault.azure.net/.default", good), 400, `AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found`},
		{"unknown app", path, form("00000000-0000-0000-0000-000000000000", "https://vault.azure.net/.default", good), 400, `"error":"unauthorized_client","error_description":"AADSTS700016`},
		{"unknown resource", path, form(testClient, "https://example.com/.default", good), 400, `AADSTS500011`},
		{"assertion for another audience", path, form(testClient, "https://vault.azure.net/.default", other), 401, `AADSTS700212`},
		{"no assertion", path, form(testClient, "https://vault.azure.net/.default", ""), 401, `AADSTS7000218`},
		{"forged assertion", path, form(testClient, "https://vault.azure.net/.default", good[:strings.LastIndex(good, ".")]+".AAAA"), 401, `AADSTS50013`},
	}
	for _, tt := range tests {
		status, _, body := do(t, s, "POST", tt.path, "application/x-www-form-urlencoded", tt.body, nil)
		if status != tt.wantStatus || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d and %s", tt.name, status, body, tt.wantStatus, tt.want)
		}
		if status != 200 && !strings.Contains(body, `"error_codes":[`) {
			t.Errorf("%s: error body lacks error_codes: %s", tt.name, body)
		}
	}
	if n := len(s.Secrets()); n != 1 {
		t.Errorf("Secrets() holds %d tokens, want 1", n)
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	s, _ := start(t)
	vaultTok := s.IssueToken(testClient, "https://vault.azure.net")
	armTok := s.IssueToken(testClient, "https://management.azure.com")
	stranger := s.IssueToken("00000000-0000-0000-0000-000000000000", "https://vault.azure.net")
	digest := `{"alg":"RS256","value":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"}`
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	path := "/keys/app-key//sign?api-version=7.4"
	tests := []struct {
		name, path, body string
		header           map[string]string
		wantStatus       int
		want             string
	}{
		{"current version", path, digest, bearer(vaultTok), 200, `"kid":"https://` + s.Vault() + `/keys/app-key/` + s.Version("app-key") + `","value":"`},
		{"pinned version", "/keys/app-key/" + s.Version("app-key") + "/sign?api-version=7.4", digest, bearer(vaultTok), 200, `"value":"`},
		{"no token", path, digest, nil, 401, `AKV10000`},
		{"token for another resource", path, digest, bearer(armTok), 401, `"code":"Unauthorized","message":"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com."`},
		{"no permission", path, digest, bearer(stranger), 403, `does not have keys sign permission`},
		{"wrong algorithm", path, `{"alg":"ES256","value":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"}`, bearer(vaultTok), 400, `"code":"BadParameter"`},
		{"short digest", path, `{"alg":"RS256","value":"AAAA"}`, bearer(vaultTok), 400, `Invalid digest length`},
		{"no api-version", "/keys/app-key//sign", digest, bearer(vaultTok), 400, `api-version`},
	}
	for _, tt := range tests {
		status, header, body := do(t, s, "POST", tt.path, "application/json", tt.body, tt.header)
		if status != tt.wantStatus || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d and %s", tt.name, status, body, tt.wantStatus, tt.want)
		}
		if status == 401 && !strings.Contains(header.Get("WWW-Authenticate"), `resource="https://vault.azure.net"`) {
			t.Errorf("%s: WWW-Authenticate = %q, want a challenge naming the resource", tt.name, header.Get("WWW-Authenticate"))
		}
	}
	reqs := s.Requests()
	if len(reqs) != len(tests) || reqs[0] != (Request{"POST", "/keys/app-key//sign", 200}) {
		t.Errorf("Requests() = %v", reqs)
	}
}

func TestFail(t *testing.T) {
	t.Parallel()
	s, _ := start(t)
	s.Fail(2, 429)
	for i, want := range []int{429, 429, 401} {
		status, header, _ := do(t, s, "POST", "/keys/app-key//sign?api-version=7.4", "application/json", `{}`, nil)
		if status != want {
			t.Errorf("request %d: status %d, want %d", i, status, want)
		}
		if status == 429 && header.Get("Retry-After") == "" {
			t.Errorf("request %d: 429 without Retry-After", i)
		}
	}
}
