// Package appjwt turns a GitHub App's private key into the short-lived JSON
// Web Token the app authenticates with against the GitHub API.
//
// [ParseKey] reads the key as given in a workflow input, forgiving the usual
// copy-and-paste damage and explaining any other input with a [*KeyError];
// [Sign] mints the token. Neither touches the network.
package appjwt

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// backdate absorbs clock drift between the runner and GitHub: a token
	// issued "in the future" by a fast clock would be rejected.
	backdate = 60 * time.Second
	// lifetime keeps exp under GitHub's 10-minute limit, with a minute to
	// spare for a runner clock that runs ahead.
	lifetime = 9 * time.Minute
)

// Sign returns an app JWT signed with key using RS256, issued by issuer (the
// app's client ID or app ID, sent as a JSON string either way). The token
// claims to be issued 60 s before now and expires 9 min after now.
func Sign(issuer string, key *rsa.PrivateKey, now time.Time) (string, error) {
	if issuer == "" {
		return "", errors.New("sign app jwt: empty issuer")
	}
	if key == nil {
		return "", errors.New("sign app jwt: nil key")
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(issuer, now)).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign app jwt: %w", err)
	}
	return s, nil
}

// claims are an app JWT's claims for issuer at now.
func claims(issuer string, now time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now.Add(-backdate)),
		ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)),
	}
}
