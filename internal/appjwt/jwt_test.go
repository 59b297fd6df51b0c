package appjwt

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signNow is the time the tests sign at.
var signNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestSign(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	for _, tc := range []struct {
		name   string
		issuer string
		now    time.Time
	}{
		{name: "numeric app id", issuer: "123456", now: signNow},
		{name: "client id", issuer: "Iv23liDemo0000000000", now: signNow},
		{name: "issuer needing escapes", issuer: `a"b\c`, now: signNow},
		{name: "now with fraction", issuer: "123456", now: signNow.Add(999 * time.Millisecond)},
		{name: "now in another zone", issuer: "123456", now: signNow.In(time.FixedZone("UTC+5", 5*3600))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Sign(tc.issuer, key, tc.now)
			if err != nil {
				t.Fatalf("Sign() error = %v", err)
			}
			tok, err := jwt.Parse(s, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"RS256"}),
				jwt.WithTimeFunc(func() time.Time { return tc.now }),
				jwt.WithIssuedAt(),
			)
			if err != nil {
				t.Fatalf("jwt.Parse(Sign()) error = %v", err)
			}
			if alg := tok.Header["alg"]; alg != "RS256" {
				t.Errorf("Sign() alg = %v, want RS256", alg)
			}

			// Decode the payload by hand to see the JSON types.
			_, rest, _ := strings.Cut(s, ".")
			payload, _, _ := strings.Cut(rest, ".")
			raw, err := base64.RawURLEncoding.DecodeString(payload)
			if err != nil {
				t.Fatalf("decode Sign() payload: %v", err)
			}
			var claims map[string]any
			if err := json.Unmarshal(raw, &claims); err != nil {
				t.Fatalf("unmarshal Sign() claims: %v", err)
			}
			unix := tc.now.Unix()
			want := map[string]any{
				"iss": tc.issuer,
				"iat": float64(unix - 60),
				"exp": float64(unix + 9*60),
			}
			if len(claims) != len(want) {
				t.Errorf("Sign() claims = %v, want %v", claims, want)
			}
			for k, v := range want {
				if claims[k] != v {
					t.Errorf("Sign() claim %s = %#v, want %#v", k, claims[k], v)
				}
			}
		})
	}
}

func TestSignError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		issuer string
		key    *rsa.PrivateKey
		want   string
	}{
		{name: "empty issuer", issuer: "", key: rsaKey(t), want: "empty issuer"},
		{name: "nil key", issuer: "123456", key: nil, want: "nil key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Sign(tc.issuer, tc.key, signNow)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Sign() error = %v, want it to contain %q", err, tc.want)
			}
			if s != "" {
				t.Error("Sign() returned a token with an error")
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	key := rsaKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign("123456", key, signNow); err != nil {
			b.Fatal(err)
		}
	}
}
