package appjwt

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signer makes the RS256 signature of an app JWT: RSASSA-PKCS1-v1_5 over a
// SHA-256 digest. A private key in memory ([KeySigner]) is one; a key in a
// cloud KMS or Vault, which never leaves it, is another.
type Signer interface {
	// SignDigest returns the signature of digest, a SHA-256 hash.
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// KeySigner signs with a private key in memory.
type KeySigner struct{ Key *rsa.PrivateKey }

// SignDigest signs digest with k.Key.
func (k KeySigner) SignDigest(_ context.Context, digest []byte) ([]byte, error) {
	if k.Key == nil {
		return nil, errors.New("nil key")
	}
	return rsa.SignPKCS1v15(rand.Reader, k.Key, crypto.SHA256, digest)
}

// SignWith returns an app JWT issued by issuer, as [Sign] makes it (same
// header and claims), signed by s. It checks that the signature has the
// size of an RSA key of at least 2048 bits, since GitHub accepts no other.
func SignWith(ctx context.Context, issuer string, s Signer, now time.Time) (string, error) {
	if issuer == "" {
		return "", errors.New("sign app jwt: empty issuer")
	}
	if k, ok := s.(KeySigner); ok {
		return Sign(issuer, k.Key, now)
	}
	input, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(issuer, now)).SigningString()
	if err != nil {
		return "", fmt.Errorf("sign app jwt: %w", err)
	}
	digest := sha256.Sum256([]byte(input))
	sig, err := s.SignDigest(ctx, digest[:])
	if err != nil {
		return "", err // the signer says which key and what failed
	}
	if err := CheckSignature(sig); err != nil {
		return "", fmt.Errorf("sign app jwt: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// CheckSignature refuses a signature that cannot come from an RSA key of
// 2048, 3072 or 4096 bits: an RSA signature is as long as the key's
// modulus, and GitHub Apps use RSA keys of at least 2048 bits.
func CheckSignature(sig []byte) error {
	switch len(sig) {
	case 256, 384, 512:
		return nil
	}
	return fmt.Errorf("the key answered with a %d-byte signature, not one of an RSA key of 2048, 3072 or 4096 bits: use the RSA signing key GitHub generated for the app (RSASSA-PKCS1-v1_5 with SHA-256)", len(sig))
}
