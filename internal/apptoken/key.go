package apptoken

import (
	"context"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// FieldError is a request's value that cannot be used, such as a private
// key that does not parse. Field names it as the action's input
// ("private-key"), for each front end to name in its own words; Err says
// what is wrong, and carries the next step.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// SignError is a failure to sign the app's JWT: the key, not GitHub,
// failed, and no request was sent with the JWT. Provider is the KMS
// provider's name ("Vault"), "" for a private key.
type SignError struct {
	Provider string
	Err      error

	p *provider.Spec // nil for a private key
}

func (e *SignError) Error() string { return "sign the app's JWT: " + e.Err.Error() }

// Unwrap returns Err.
func (e *SignError) Unwrap() error { return e.Err }

// appKey is the app's key chosen for a request, and its JWTs.
type appKey struct {
	provider *provider.Spec // nil for a private key
	jwts     *jwtCache
}

// key chooses the signer of r's key, once for the whole step: the private
// key in memory, or the key in a KMS or Vault (kms.New, which masks its
// secret inputs first). Its errors carry a hint; a private key that does
// not parse is a [*FieldError] of private-key.
func (o Options) key(r Request) (*appKey, error) {
	if r.Key.URI == "" {
		key, err := appjwt.ParseKey(r.Key.PEM)
		if err != nil {
			return nil, &FieldError{Field: "private-key", Err: err}
		}
		return &appKey{jwts: newJWTCache(r.Issuer, appjwt.KeySigner{Key: key})}, nil
	}
	signer, p, err := kms.New(r.Key.URI, r.Key.Inputs, kms.Env{HTTP: o.HTTP, Getenv: o.Getenv, Now: o.Now, Sleep: o.Sleep, Mask: o.Mask})
	if err != nil {
		return nil, err
	}
	return &appKey{provider: &p, jwts: newJWTCache(r.Issuer, signer)}, nil
}

// sign returns a JWT for now (see [jwtCache.sign]); a failure is a
// [*SignError].
func (k *appKey) sign(ctx context.Context, now time.Time) (string, error) {
	jwt, err := k.jwts.sign(ctx, now)
	if err != nil {
		se := &SignError{Err: err, p: k.provider}
		if k.provider != nil {
			se.Provider = k.provider.Name
		}
		return "", se
	}
	return jwt, nil
}

// signFirst signs the app's JWT before any request to GitHub, for the
// client's clock at the start, so that a key that cannot sign fails as
// what it is, not as the first request's failure. The API client reuses
// the JWT.
func (k *appKey) signFirst(ctx context.Context, o Options) error {
	_, err := k.sign(ctx, o.Time())
	return explainSign(err)
}
