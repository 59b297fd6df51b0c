package appjwt

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// remoteSigner stands in for a KMS: it signs with a key the caller never
// holds, or answers as a misconfigured KMS would.
type remoteSigner struct {
	key *rsa.PrivateKey
	sig []byte // a fixed answer, if set
	err error
}

func (r remoteSigner) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	if r.err != nil || r.sig != nil {
		return r.sig, r.err
	}
	return KeySigner{r.key}.SignDigest(ctx, digest)
}

func TestSignWith(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name    string
		signer  Signer
		wantErr string
	}{
		{name: "a remote RSA-2048 key", signer: remoteSigner{key: key}},
		{name: "the key in memory", signer: KeySigner{key}},
		{name: "an EC-sized signature", signer: remoteSigner{sig: make([]byte, 64)}, wantErr: "64-byte signature"},
		{name: "an RSA-1024 signature", signer: remoteSigner{sig: make([]byte, 128)}, wantErr: "not one of an RSA key"},
		{name: "the KMS refuses", signer: remoteSigner{err: errors.New("AccessDeniedException")}, wantErr: "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := SignWith(t.Context(), "Iv23liTest", tt.signer, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SignWith() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tok, err := jwt.Parse(s, func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithValidMethods([]string{"RS256"}))
			if err != nil || !tok.Valid {
				t.Fatalf("SignWith() JWT does not verify with the key: %v", err)
			}
			iss, _ := tok.Claims.GetIssuer()
			iat, _ := tok.Claims.GetIssuedAt()
			exp, _ := tok.Claims.GetExpirationTime()
			if iss != "Iv23liTest" || now.Sub(iat.Time) > 61*time.Second || exp.Sub(now) > 9*time.Minute+time.Second {
				t.Errorf("SignWith() claims iss=%q iat=%v exp=%v, want Sign's", iss, iat, exp)
			}
		})
	}
}

// TestRemoteSigner checks the one check of a KMS signature: a digest that
// is not SHA-256's is refused before the KMS is asked, and a signature of
// another size names the provider and carries its next step.
func TestRemoteSigner(t *testing.T) {
	t.Parallel()
	asked := 0
	r := RemoteSigner{Signer: signerFunc(func([]byte) ([]byte, error) { asked++; return make([]byte, 64), nil }), Provider: "Test KMS", Hint: "import an RSA key"}
	if _, err := r.SignDigest(t.Context(), []byte("short")); err == nil || !strings.Contains(err.Error(), "SHA-256") || asked != 0 {
		t.Errorf("SignDigest(5 bytes) error = %v after %d requests, want one about SHA-256 before any", err, asked)
	}
	digest := make([]byte, 32)
	_, err := r.SignDigest(t.Context(), digest)
	if err == nil || !strings.HasPrefix(err.Error(), "Test KMS sign: ") || !strings.Contains(err.Error(), "64-byte signature") || hint.Next(err) != "import an RSA key" {
		t.Errorf("SignDigest() error = %v (hint %q), want the provider's, a 64-byte signature and its hint", err, hint.Next(err))
	}
}

type signerFunc func(digest []byte) ([]byte, error)

func (f signerFunc) SignDigest(_ context.Context, digest []byte) ([]byte, error) { return f(digest) }
