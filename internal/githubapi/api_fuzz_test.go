package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fuzzJWT is the JWT a fuzzed client signs with; an error must never show it.
const fuzzJWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJmdXp6In0.c2lnbmF0dXJlLW9mLXRoZS1mdXp6LWNsaWVudA"

// cannedTransport answers every request with the same response, without a
// network.
type cannedTransport struct {
	status int
	header http.Header
	body   []byte
}

func (c cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode:    c.status,
		Header:        c.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

// fuzzClient returns a client whose every request gets status, body and
// contentType, without retries or waits.
func fuzzClient(status int, contentType string, body []byte) *Client {
	return &Client{
		BaseURL: "https://api.github.test",
		HTTP: &http.Client{Transport: cannedTransport{
			status: status,
			header: http.Header{"Content-Type": {contentType}},
			body:   body,
		}},
		Sign:       func(context.Context, time.Time) (string, error) { return fuzzJWT, nil },
		MaxRetries: -1,
		Sleep:      func(context.Context, time.Duration) error { return nil },
	}
}

// checkErrorText fails when an error's text could break a log line or
// shows a secret.
func checkErrorText(t *testing.T, err error, secrets ...string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error has a line break: %q", msg)
	}
	for _, s := range secrets {
		if len(s) >= 8 && strings.Contains(msg, s) {
			t.Errorf("error shows a secret of the response (%d characters)", len(s))
		}
	}
}

// checkOneLine fails for a field value with a line break.
func checkOneLine(t *testing.T, field, value string) {
	t.Helper()
	if strings.ContainsAny(value, "\r\n") {
		t.Errorf("%s = %q has a line break", field, value)
	}
}

func checkPermissions(t *testing.T, perms map[string]string) {
	t.Helper()
	for name, level := range perms {
		if !isPermissionWord(name) || !isPermissionWord(level) {
			t.Errorf("permission %q: %q is not a plain word", name, level)
		}
	}
}

// FuzzDecodeInstallation feeds GET /app/installations/{id} answers to
// FindInstallation. Success implies an installation id, and string fields
// that fit on one line and a slug that is a plain word.
func FuzzDecodeInstallation(f *testing.F) {
	f.Add([]byte(instJSON))
	f.Add([]byte(`{"id":5,"app_id":7,"app_slug":"my-app","account":{"id":1,"slug":"my-ent","name":"My Ent"},"repository_selection":"all","permissions":{"enterprise_people":"read"},"suspended_at":"2024-01-01T00:00:00Z","target_type":"Enterprise"}`))
	f.Add([]byte(`{"id":42,"app_slug":"x\ninjected=1","account":{"login":"::set-output name=injected::1"}}`))
	f.Add([]byte(`{"id":42,"permissions":{"a\nb":1}}`))
	f.Add([]byte(`{"id":0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		inst, err := fuzzClient(http.StatusOK, "application/json", body).FindInstallation(t.Context(), Lookup{ID: 42})
		if err != nil {
			checkErrorText(t, err)
			return
		}
		if inst.ID == 0 {
			t.Errorf("FindInstallation() = %+v without an id, want an error", inst)
		}
		if inst.AppSlug != "" && !isSlug(inst.AppSlug) {
			t.Errorf("AppSlug = %q, want a plain word", inst.AppSlug)
		}
		checkOneLine(t, "Account", inst.Account)
		checkOneLine(t, "AccountType", inst.AccountType)
		checkOneLine(t, "RepositorySelection", inst.RepositorySelection)
		checkPermissions(t, inst.Permissions)
	})
}

// FuzzDecodeToken feeds POST /app/installations/{id}/access_tokens answers
// to CreateToken. Success implies a token of token characters and an
// expiry; no error shows the token.
func FuzzDecodeToken(f *testing.F) {
	f.Add([]byte(tokenJSON))
	f.Add([]byte(`{"token":"ghs_1001_eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpaWQiOjExfQ.c2ln","expires_at":"2025-06-01T13:00:00Z","permissions":{},"repository_selection":"all"}`))
	f.Add([]byte(`{"token":"ghs_secret\nx","expires_at":"2025-06-01T13:00:00Z"}`))
	f.Add([]byte(`{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z\n::set-output name=injected::1"}`))
	f.Add([]byte(`{"token":"ghs_$(id)","expires_at":"2025-06-01T13:00:00Z"}`))
	f.Add([]byte(`{"token":"ghs_secretsecret","expires_at":7}`))
	f.Add([]byte(`{"token":"000000000","expires_at":"000000000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := fuzzClient(http.StatusCreated, "application/json", body).CreateToken(t.Context(), 42, TokenRequest{})
		if err != nil {
			var sent struct {
				Token any `json:"token"`
			}
			_ = json.Unmarshal(body, &sent)
			s, _ := sent.Token.(string)
			checkErrorText(t, err, s)
			return
		}
		if tok.Value == "" || strings.ContainsAny(tok.Value, "\r\n") {
			t.Errorf("token of %d characters has other characters than a token's, want an error", len(tok.Value))
		}
		if tok.ExpiresAt.IsZero() {
			t.Errorf("ExpiresAt is zero, want an error")
		}
		checkOneLine(t, "RepositorySelection", tok.RepositorySelection)
		for _, name := range tok.Repositories {
			checkOneLine(t, "repository", name)
		}
		checkPermissions(t, tok.Permissions)
	})
}

// FuzzDecodeError feeds error answers to GetApp. Every one becomes an
// *Error with the status and a message (for a known status), on one line,
// without the JWT the request was sent with.
func FuzzDecodeError(f *testing.F) {
	f.Add(uint16(422), "application/json", []byte(`{"message":"Invalid request.\n\n\"x\" is not a permitted key.","documentation_url":"https://docs.github.com/rest"}`))
	f.Add(uint16(404), "application/json", []byte(`{"message":"Not Found\n::set-output name=injected::1","documentation_url":"https://docs.github.com/rest\n::warning::x"}`))
	f.Add(uint16(401), "application/json", []byte(`{"message":"bad JWT `+fuzzJWT+`"}`))
	f.Add(uint16(401), "application/json", []byte(`{"message":"'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"}`))
	f.Add(uint16(403), "text/plain", []byte("forbidden\r\n::error::x"))
	f.Add(uint16(502), "text/html", []byte("<html>bad gateway</html>"))
	f.Add(uint16(429), "application/json", []byte(`{"message":"API rate limit exceeded"}`))
	f.Fuzz(func(t *testing.T, code uint16, contentType string, body []byte) {
		status := 400 + int(code)%200
		_, err := fuzzClient(status, contentType, body).GetApp(t.Context())
		var apiErr *Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("GetApp() error = %v, want an *Error", err)
		}
		if apiErr.Status != status {
			t.Errorf("Status = %d, want %d", apiErr.Status, status)
		}
		if apiErr.Message == "" && http.StatusText(status) != "" {
			t.Errorf("Message is empty, want at least the status text")
		}
		checkOneLine(t, "DocumentationURL", apiErr.DocumentationURL)
		checkErrorText(t, err, fuzzJWT)
	})
}

// TestDecodeRefusesShellSyntax checks that values bound for step outputs,
// which workflows paste into shell scripts, are refused when they carry
// more than GitHub's plain words; and that error messages are one line.
func TestDecodeRefusesShellSyntax(t *testing.T) {
	t.Parallel()
	const expires = `"expires_at":"2025-06-01T13:00:00Z"`
	tests := []struct {
		name    string
		status  int
		body    string
		call    func(*Client) error
		wantErr string
	}{
		{name: "slug with a quote", body: `{"id":42,"app_slug":"x'; id; '"}`, wantErr: `app_slug "x'; id; '" is not a GitHub App slug`},
		{name: "slug with a workflow command", body: `{"id":42,"app_slug":"::set-output name=x::1"}`, wantErr: "is not a GitHub App slug"},
		{name: "installation permission with a space", body: `{"id":42,"app_slug":"a","permissions":{"contents":"read write"}}`, wantErr: `invalid level "read write" for permission contents`},
		{name: "token permission name with a quote", status: 201, body: `{"token":"ghs_a",` + expires + `,"permissions":{"a'b":"read"}}`, wantErr: `invalid permission name "a'b"`},
		{name: "long token", status: 201, body: `{"token":"ghs_1001_eyJhbGciOiJSUzI1NiJ9.eyJpaWQiOjExfQ.c2ln-_",` + expires + `}`},
		{name: "app slug with a space", call: func(c *Client) error { _, err := c.GetApp(t.Context()); return err },
			body: `{"id":7,"slug":"my app"}`, wantErr: `app slug "my app" is not a GitHub App slug`},
		{name: "multi-line error message", status: 422, body: `{"message":"Invalid request.\n\nFor 'x', \"y\" is not valid."}`,
			wantErr: `422 Invalid request. For 'x', "y" is not valid.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status := tt.status
			if status == 0 {
				status = 200
			}
			c := fuzzClient(status, "application/json", []byte(tt.body))
			call := tt.call
			switch {
			case call != nil:
			case strings.Contains(tt.body, `"token"`) || status >= 400:
				call = func(c *Client) error { _, err := c.CreateToken(t.Context(), 42, TokenRequest{}); return err }
			default:
				call = func(c *Client) error { _, err := c.FindInstallation(t.Context(), Lookup{ID: 42}); return err }
			}
			err := call(c)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error = %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
