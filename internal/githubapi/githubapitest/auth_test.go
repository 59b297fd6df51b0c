package githubapitest

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTChecks(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	appKey, otherKey := testKeys(t)
	now := testNow.Unix()
	claims := func(iat, exp, iss any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range map[string]any{"iat": iat, "exp": exp, "iss": iss} {
			if v != nil {
				c[k] = v
			}
		}
		return c
	}
	signed := func(c jwt.MapClaims) string { return mintJWT(t, appKey, c) }
	hs256, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(now-60, now+540, "4242")).SignedString([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	hs256Stranger, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(now-60, now+540, "999")).SignedString([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(now-60, now+540, "4242")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		jwt     string
		status  int
		message string
	}{
		{"iss as string", signed(claims(now-60, now+540, "4242")), 200, ""},
		{"iss as number", signed(claims(now-60, now+540, 4242)), 200, ""},
		{"iss as client ID", signed(claims(now-60, now+540, "Iv23liTest0000000000")), 200, ""},
		{"exactly ten minutes", signed(claims(now-60, now+540, "4242")), 200, ""},
		{"iat within leeway", signed(claims(now+50, now+540, "4242")), 200, ""},
		{"iat in the future", signed(claims(now+120, now+540, "4242")), 401, msgIssuedAt},
		{"iat missing", signed(claims(nil, now+540, "4242")), 401, msgIssuedAt},
		{"iat not an integer", signed(claims(float64(now)+0.5, now+540, "4242")), 401, msgIssuedAt},
		{"iat as string", signed(claims("yesterday", now+540, "4242")), 401, msgIssuedAt},
		{"exp more than ten minutes after iat", signed(claims(now-60, now+541, "4242")), 401, msgExpTooFar},
		{"exp more than ten minutes from now", signed(claims(now+30, now+630, "4242")), 401, msgExpTooFar},
		{"exp in the past", signed(claims(now-600, now-1, "4242")), 401, msgExpNotFuture},
		{"exp now", signed(claims(now-60, now, "4242")), 401, msgExpNotFuture},
		{"exp missing", signed(claims(now-60, nil, "4242")), 401, msgExpNotFuture},
		{"exp as string", signed(claims(now-60, "soon", "4242")), 401, msgExpNotFuture},
		{"signed with another key", mintJWT(t, otherKey, claims(now-60, now+540, "4242")), 401, msgJWTDecode},
		{"unknown app ID", signed(claims(now-60, now+540, "999")), 404, msgIntegrationNotFound},
		{"unknown numeric app ID", signed(claims(now-60, now+540, 999)), 404, msgIntegrationNotFound},
		// The app is found by the issuer before the signature is checked,
		// but only in an RS256 token.
		{"unknown app ID signed with another key", mintJWT(t, otherKey, claims(now-60, now+540, "999")), 404, msgIntegrationNotFound},
		{"unknown app ID in an HS256 token", hs256Stranger, 401, msgJWTDecode},
		{"unknown client ID", signed(claims(now-60, now+540, "Iv23liSomeoneElse000")), 401, msgIssuerNotInteger},
		{"app ID with trailing junk", signed(claims(now-60, now+540, "4242\n")), 401, msgIssuerNotInteger},
		{"iss missing", signed(claims(now-60, now+540, nil)), 401, msgIssuerNotInteger},
		{"garbage with dots", "not.a.jwt", 401, msgJWTDecode},
		{"HS256", hs256, 401, msgJWTDecode},
		{"alg none", none, 401, msgJWTDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, "GET", s.URL()+"/app", bearer(tt.jwt), "")
			if tt.status == 200 {
				if r.status != 200 {
					t.Errorf("GET /app = %d %s, want 200", r.status, r.body)
				}
				return
			}
			wantError(t, r, tt.status, tt.message)
		})
	}
}

func TestCredentialKinds(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	jwtNow := appJWT(t, testNow)
	tok := mint(t, s, 102, "").Token

	tests := []struct {
		name    string
		method  string
		path    string
		auth    string
		status  int
		message string
	}{
		{"app endpoint without credentials", "GET", "/app", "", 401, msgRequiresAuth},
		{"app endpoint with an installation token", "GET", "/app/installations", "token " + tok, 401, msgJWTDecode},
		{"app endpoint with a bearer installation token", "POST", "/app/installations/102/access_tokens", bearer(tok), 401, msgJWTDecode},
		{"app endpoint with a personal token", "GET", "/repos/acme/web/installation", "token ghp_0123456789abcdefghijklmnopqrstuvwxyz", 401, msgJWTDecode},
		{"app endpoint with basic auth", "GET", "/app", "Basic dXNlcjpwYXNz", 401, msgJWTDecode},
		{"app endpoint with a JWT under the token scheme", "GET", "/app", "token " + jwtNow, 200, ""},
		{"revoke with a JWT", "DELETE", "/installation/token", bearer(jwtNow), 401, msgBadCredentials},
		{"revoke without credentials", "DELETE", "/installation/token", "", 401, msgRequiresAuth},
		{"revoke with an unknown token", "DELETE", "/installation/token", "token ghs_unknown000000000000000000000000000", 401, msgBadCredentials},
		{"user with an unknown token", "GET", "/users/bob", "token ghs_unknown000000000000000000000000000", 401, msgBadCredentials},
		{"user with a bearer token", "GET", "/users/bob", bearer(tok), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, tt.method, s.URL()+tt.path, tt.auth, "")
			if tt.status == 200 {
				if r.status != 200 {
					t.Errorf("%s %s = %d %s, want 200", tt.method, tt.path, r.status, r.body)
				}
				return
			}
			wantError(t, r, tt.status, tt.message)
		})
	}
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))

	s.SetClockOffset(-2 * time.Hour)
	r := do(t, "GET", s.URL()+"/app", bearer(appJWT(t, testNow)), "")
	wantError(t, r, http.StatusUnauthorized, msgIssuedAt)
	date, err := http.ParseTime(r.header.Get("Date"))
	if err != nil || !date.Equal(testNow.Add(-2*time.Hour)) {
		t.Errorf("Date = %q (%v), want %v", r.header.Get("Date"), err, testNow.Add(-2*time.Hour))
	}
	if got := s.Requests()[0].Time; !got.Equal(testNow.Add(-2 * time.Hour)) {
		t.Errorf("Request.Time = %v, want the server's clock %v", got, testNow.Add(-2*time.Hour))
	}

	s.SetClockOffset(2 * time.Hour)
	wantError(t, do(t, "GET", s.URL()+"/app", bearer(appJWT(t, testNow)), ""), http.StatusUnauthorized, msgExpNotFuture)

	// A client that adopts the server's clock gets through.
	serverNow := testNow.Add(2 * time.Hour)
	if r := do(t, "GET", s.URL()+"/app", bearer(appJWT(t, serverNow)), ""); r.status != http.StatusOK {
		t.Fatalf("GET /app with the server's time = %d %s, want 200", r.status, r.body)
	}
	tok := mint(t, s, 102, "")
	if want := serverNow.Add(time.Hour).Format(time.RFC3339); tok.ExpiresAt != want {
		t.Errorf("expires_at = %q, want %q", tok.ExpiresAt, want)
	}

	// Turning the clock past the token's expiry makes it stop working.
	s.SetClockOffset(3*time.Hour + time.Second)
	wantError(t, do(t, "GET", s.URL()+"/users/bob", "token "+tok.Token, ""), http.StatusUnauthorized, msgBadCredentials)
}
