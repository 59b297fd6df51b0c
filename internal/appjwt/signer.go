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

	"github.com/ghapptoken/app-token-action/internal/hint"
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

// RemoteSigner is a Signer whose key lives elsewhere, in a KMS or Vault,
// and may not be one GitHub accepts. Its SignDigest passes on a SHA-256
// digest only, and returns only a signature of the size of an RSA key of
// 2048, 3072 or 4096 bits: an RSA signature is as long as the key's
// modulus. Its errors name Provider and carry Hint. It is the one place
// that checks a signature: package kms wraps every provider's signer in
// it, and [SignWith] any other signer but a [KeySigner], whose key [Sign]
// uses directly.
type RemoteSigner struct {
	Signer
	Provider string // the provider's name in errors, "AWS KMS"; "": none
	// Hint is the next step after a signature of another size: the kind
	// of key the provider must hold.
	Hint string
}

// SignDigest returns r.Signer's signature of digest, checked.
func (r RemoteSigner) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, r.fail(fmt.Errorf("the digest has %d bytes, not the %d of SHA-256", len(digest), sha256.Size), "")
	}
	sig, err := r.Signer.SignDigest(ctx, digest)
	if err != nil {
		return nil, err // the signer says which key and what failed
	}
	switch len(sig) {
	case 256, 384, 512:
		return sig, nil
	}
	err = fmt.Errorf("the key answered with a %d-byte signature, not one of an RSA key of 2048, 3072 or 4096 bits: use the RSA signing key GitHub generated for the app (RSASSA-PKCS1-v1_5 with SHA-256)", len(sig))
	if d, ok := r.Signer.(SignatureDetailer); ok {
		if detail := d.SignatureDetail(ctx); detail != "" {
			err = fmt.Errorf("%s: %w", detail, err)
		}
	}
	return nil, r.fail(err, r.Hint)
}

// SignatureDetailer is a remote Signer that can say, after it made a
// signature that is not RS256's, what its key is instead (a Cloud KMS key
// version's algorithm). It is asked only then, so that a run that
// succeeds needs no permission but to sign.
type SignatureDetailer interface {
	// SignatureDetail returns what the key is, or "" if it cannot tell.
	SignatureDetail(ctx context.Context) string
}

// fail names the step that failed and adds the next step, if any.
func (r RemoteSigner) fail(err error, next string) error {
	step := "sign app jwt"
	if r.Provider != "" {
		step = r.Provider + " sign"
	}
	err = fmt.Errorf("%s: %w", step, err)
	if next == "" {
		return err
	}
	return hint.New(err, next)
}

// SignWith returns an app JWT issued by issuer, as [Sign] makes it (same
// header and claims), signed by s. A signer other than a [KeySigner] is
// checked as a [RemoteSigner] is, since GitHub accepts no other
// signature.
func SignWith(ctx context.Context, issuer string, s Signer, now time.Time) (string, error) {
	if issuer == "" {
		return "", errors.New("sign app jwt: empty issuer")
	}
	if k, ok := s.(KeySigner); ok {
		return Sign(issuer, k.Key, now)
	}
	r, ok := s.(RemoteSigner)
	if !ok {
		r = RemoteSigner{Signer: s}
	}
	input, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(issuer, now)).SigningString()
	if err != nil {
		return "", fmt.Errorf("sign app jwt: %w", err)
	}
	digest := sha256.Sum256([]byte(input))
	sig, err := r.SignDigest(ctx, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
