package runnertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestSignWith checks the inputs and environment of a keyless job: the
// key's URI in signing-key, private-key empty (never absent: the runner
// passes every declared input), and the emulators' variables added.
func TestSignWith(t *testing.T) {
	t.Parallel()
	a, err := ReadAction("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	r := New(Job{Action: a, APIURL: "http://127.0.0.1:1", Repository: "octo-org/app", Dir: t.TempDir()})
	r.Set("private-key", "-----BEGIN RSA PRIVATE KEY-----")
	r.SignWith("hashivault://github-app", map[string]string{"VAULT_ADDR": "http://vault"}, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://oidc"})
	key, set := r.Env[InputEnv("private-key")]
	if !set || key != "" || r.Env[InputEnv("signing-key")] != "hashivault://github-app" {
		t.Errorf("after SignWith: private-key = %q (set %t), signing-key = %q; want empty and the URI", key, set, r.Env[InputEnv("signing-key")])
	}
	if r.Env["VAULT_ADDR"] != "http://vault" || r.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] != "http://oidc" {
		t.Errorf("after SignWith: env lacks the emulators' variables: %v", r.Env)
	}
}

// TestStartVault checks that the job's Vault lets the job's OIDC token
// log in under VaultRole, as the keyless tests that use both rely on.
func TestStartVault(t *testing.T) {
	t.Parallel()
	v := StartVault(t, nil)
	env := StartOIDC(t).Env()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience=https://github.com/octo-org", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	var tok struct{ Value string }
	post(t, req, &tok)
	login, err := json.Marshal(map[string]string{"role": VaultRole, "jwt": tok.Value})
	if err != nil {
		t.Fatal(err)
	}
	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, v.URL()+"/v1/auth/jwt/login", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Auth struct{ Policies []string } }
	post(t, req, &out)
	if !slices.Contains(out.Auth.Policies, "sign") {
		t.Errorf("Vault login under %s: policies %v, want sign", VaultRole, out.Auth.Policies)
	}
}

// post sends req and decodes its 200 answer into out, or fails t.
func post(t *testing.T, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
