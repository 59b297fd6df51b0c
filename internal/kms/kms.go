// Package kms signs the app's JWT with a key that lives in a cloud KMS or
// in Vault, so that the app's private key never enters a runner. The
// key is named by a URI, in the form sigstore/cosign made familiar:
//
//	awskms:///KEY                 AWS KMS: a key ARN, key ID or alias/NAME
//	gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V
//	hashivault://KEY              Vault Transit (mount transit), or hashivault://MOUNT/KEY
//	azurekms://VAULT.vault.azure.net/KEY[/VERSION]
//
// Each provider has its own package (awskms, gcpkms, hashivault,
// azurekms), with an emulator beside it for tests. Credentials come from
// the job's OIDC token, exchanged by the provider's package when its
// identity input is set, or else from what the provider's own login action
// leaves in the environment. Every credential is handed to Options.Mask
// before use, and appears in no error.
package kms

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// Config names the key and how to authenticate to its KMS, in plain
// values: the action's keyless inputs, or the CLI's flags.
type Config struct {
	SigningKey string

	AWSRoleARN string

	GCPWorkloadIdentityProvider string
	GCPServiceAccount           string
	GCPAccessToken              string

	VaultRole     string
	VaultAuthPath string
	VaultAddress  string
	VaultAudience string

	AzureClientID    string
	AzureTenantID    string
	AzureAccessToken string
}

// Env is the outside world of the KMS clients.
type Env struct {
	HTTP   *http.Client                                     // with the proxy and CA settings; nil: http.DefaultClient
	Getenv func(string) string                              // the step's environment
	Now    func() time.Time                                 // nil: time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // between retries; nil: real
	Mask   func(secret string)                              // called with every credential obtained
}

// oidcFunc returns the job's OIDC token fetcher for e, or nil when the job
// has none (the provider then says so if it needs one).
func (e Env) oidcFunc() func(ctx context.Context, audience string) (string, error) {
	f := oidc.Fetcher{HTTP: e.HTTP, Getenv: e.Getenv, Mask: e.Mask}
	return f.Fetch
}

// New returns the signer for the key cfg names. It checks the URI and the
// inputs; it makes no request. Its errors carry a hint.
func New(cfg Config, env Env) (appjwt.Signer, error) {
	scheme, rest, _ := strings.Cut(cfg.SigningKey, "://")
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	switch scheme {
	case "awskms":
		return newAWS(rest, cfg, env)
	case "gcpkms":
		return newGCP(rest, cfg, env)
	case "hashivault":
		return newVault(rest, cfg, env)
	case "azurekms":
		return newAzure(rest, cfg, env)
	}
	return nil, hint.New(fmt.Errorf("signing-key: %q is not a KMS key scheme", scheme),
		"name the key in {signing-key} as awskms:///KEY, gcpkms://…, hashivault://KEY or azurekms://VAULT/KEY")
}
