package githubapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestErrorBlanksEchoedSecret checks that an error body that echoes the
// request's JWT or token never shows it, not even in part where a long
// plain-text body is cut short.
func TestErrorBlanksEchoedSecret(t *testing.T) {
	t.Parallel()
	const token = "ghs_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	// pad puts a secret across the cut of a plain-text message.
	pad := strings.Repeat("x ", (maxTextMessage-20)/2)
	tests := []struct {
		name        string
		contentType string
		body        string
		revoke      bool // call RevokeToken with token, else GetApp with fuzzJWT
		secret      string
	}{
		{name: "JWT in a JSON message", contentType: "application/json", body: `{"message":"bad JWT ` + fuzzJWT + `"}`, secret: fuzzJWT},
		{name: "JWT in a documentation URL", contentType: "application/json", body: `{"message":"x","documentation_url":"https://docs.example/` + fuzzJWT + `"}`, secret: fuzzJWT},
		{name: "JWT across the cut of a text body", contentType: "text/plain", body: pad + "bad JWT " + fuzzJWT, secret: fuzzJWT},
		{name: "JWT split by a byte that is not UTF-8", contentType: "text/plain", body: pad + "bad JWT " + fuzzJWT[:30] + "\xd5" + fuzzJWT[30:], secret: fuzzJWT},
		{name: "token in a text body", contentType: "text/plain", body: "bad token " + token, revoke: true, secret: token},
		{name: "token across the cut of a text body", contentType: "text/plain", body: pad + "bad token " + token, revoke: true, secret: token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fuzzClient(http.StatusUnauthorized, tt.contentType, []byte(tt.body))
			var err error
			if tt.revoke {
				err = c.RevokeToken(t.Context(), tt.secret)
			} else {
				_, err = c.GetApp(t.Context())
			}
			// Failure messages name no part of err: it may show the secret.
			apiErr, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatal("error is not an *Error")
			}
			if !strings.Contains(apiErr.Message+apiErr.DocumentationURL, "***") {
				t.Error("error does not blank the echoed secret as ***")
			}
			// No 8 characters in a row of the secret, wherever the cut fell.
			const n = 8
			for i := 0; i+n <= len(tt.secret); i++ {
				if part := tt.secret[i : i+n]; strings.Contains(err.Error(), part) {
					t.Fatalf("error shows %d characters of the secret from offset %d", n, i)
				}
			}
		})
	}
}

func TestErrorIPAllowList(t *testing.T) {
	t.Parallel()
	const allowList = "Although you appear to have the correct authorization credentials, the `octo-org` organization has an IP allow list enabled, and your IP address is not permitted to access this resource."
	tests := []struct {
		name string
		err  Error
		want bool
	}{
		{"GitHub's words", Error{Status: 403, Message: allowList}, true},
		{"another casing", Error{Status: 403, Message: strings.ToLower(allowList)}, true},
		{"a 403 for another reason", Error{Status: 403, Message: "Resource not accessible by integration"}, false},
		{"the words in another status", Error{Status: 401, Message: allowList}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.IPAllowList(); got != tt.want {
				t.Errorf("IPAllowList() = %t, want %t", got, tt.want)
			}
		})
	}
}
