package awskmstest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

func key(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func post(tb testing.TB, u string, header map[string]string, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKMSRefusesUnauthenticated checks that KMS answers requests that are
// not signed, or signed by a key it never issued, as AWS does.
func TestKMSRefusesUnauthenticated(t *testing.T) {
	t.Parallel()
	s := awskmstest.Start(t, awskmstest.Config{Key: key(t), Signers: []string{"*"}})
	body := `{"KeyId":"` + awskmstest.DefaultKeyID + `","Message":"AAAA","MessageType":"DIGEST","SigningAlgorithm":"RSASSA_PKCS1_V1_5_SHA_256"}`
	json := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Sign"}
	tests := []struct {
		name, auth, want string
	}{
		{"unsigned", "", `"__type":"MissingAuthenticationTokenException"`},
		{"unknown key", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE0000000000/20250101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			`"__type":"UnrecognizedClientException"`},
		{"no signature", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE0000000000/20250101/us-east-1/kms/aws4_request",
			`"__type":"IncompleteSignatureException"`},
	}
	for _, tt := range tests {
		h := map[string]string{"Authorization": tt.auth}
		for k, v := range json {
			h[k] = v
		}
		status, got := post(t, s.URL(), h, body)
		if status != http.StatusBadRequest || !strings.Contains(got, tt.want) {
			t.Errorf("%s: Sign = %d %s, want 400 with %s", tt.name, status, got, tt.want)
		}
	}
}

// TestSTS checks AssumeRoleWithWebIdentity's answers: credentials in the
// documented XML for a trusted subject, the XML error otherwise.
func TestSTS(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::111122223333:role/r"
	job := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	token := func(aud string) string {
		env := job.Env()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience="+aud, nil)
		req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		_, v, _ := strings.Cut(string(b), `"value":"`)
		v, _, _ = strings.Cut(v, `"`)
		return v
	}
	tests := []struct {
		name       string
		roles      map[string]string
		aud        string
		session    string
		wantStatus int
		wantCode   string
	}{
		{"trusted", map[string]string{role: "repo:octo-org/app:*"}, "sts.amazonaws.com", "app-token-1", 200, ""},
		{"other repository", map[string]string{role: "repo:octo-org/other:*"}, "sts.amazonaws.com", "app-token-1", 403, "AccessDenied"},
		{"wrong audience", map[string]string{role: "repo:octo-org/app:*"}, "https://github.com/octo-org", "app-token-1", 400, "InvalidIdentityToken"},
		{"bad session name", map[string]string{role: "repo:octo-org/app:*"}, "sts.amazonaws.com", "a b", 400, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := awskmstest.Start(t, awskmstest.Config{Key: key(t), Roles: tt.roles})
			form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {role},
				"RoleSessionName": {tt.session}, "WebIdentityToken": {token(url.QueryEscape(tt.aud))}, "DurationSeconds": {"900"}}
			status, body := post(t, s.URL(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
			if status != tt.wantStatus {
				t.Fatalf("AssumeRoleWithWebIdentity = %d %s, want %d", status, body, tt.wantStatus)
			}
			if tt.wantCode != "" {
				var e struct {
					Code string `xml:"Error>Code"`
				}
				if err := xml.Unmarshal([]byte(body), &e); err != nil || e.Code != tt.wantCode {
					t.Errorf("AssumeRoleWithWebIdentity error code = %q, want %q", e.Code, tt.wantCode)
				}
				return
			}
			var out struct {
				XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
				ID      string   `xml:"AssumeRoleWithWebIdentityResult>Credentials>AccessKeyId"`
				Token   string   `xml:"AssumeRoleWithWebIdentityResult>Credentials>SessionToken"`
				Sub     string   `xml:"AssumeRoleWithWebIdentityResult>SubjectFromWebIdentityToken"`
				Arn     string   `xml:"AssumeRoleWithWebIdentityResult>AssumedRoleUser>Arn"`
			}
			if err := xml.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("AssumeRoleWithWebIdentity answer: %v", err)
			}
			if !strings.HasPrefix(out.ID, "ASIA") || out.Token == "" || out.Sub != job.Subject() ||
				out.Arn != "arn:aws:sts::111122223333:assumed-role/r/app-token-1" {
				t.Errorf("AssumeRoleWithWebIdentity answer = %+v", out)
			}
			if secrets := s.Secrets(); len(secrets) != 2 || secrets[1] != out.Token {
				t.Errorf("Secrets() does not list the session token")
			}
		})
	}
}
