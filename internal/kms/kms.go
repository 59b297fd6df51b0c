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
	"fmt"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
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

// Env is the outside world of the KMS clients: HTTP client, environment,
// clock, sleep, mask and the job's OIDC token. OIDC nil: the token the
// runner issues ([oidc.Fetcher]).
type Env = kmshttp.Env

// New returns the signer for the key cfg names. It checks the URI and the
// inputs; it makes no request. Its errors carry a hint.
func New(cfg Config, env Env) (appjwt.Signer, error) {
	scheme, rest, _ := strings.Cut(cfg.SigningKey, "://")
	env = env.WithDefaults()
	if env.OIDC == nil {
		env.OIDC = oidc.Fetcher{HTTP: env.HTTP, Getenv: env.Getenv, Mask: env.Mask, Sleep: env.Sleep}.Fetch
	}
	switch scheme {
	case "awskms":
		endpoint, key, err := awskms.ParseURI(cfg.SigningKey)
		if err != nil {
			return nil, err
		}
		return signer(awskms.New(awskms.Options{Key: key, RoleARN: cfg.AWSRoleARN, Endpoint: endpoint, Env: env}))
	case "gcpkms":
		return signer(gcpkms.New(gcpkms.Options{
			Key:                      rest,
			WorkloadIdentityProvider: cfg.GCPWorkloadIdentityProvider,
			ServiceAccount:           cfg.GCPServiceAccount,
			AccessToken:              cfg.GCPAccessToken,
			Env:                      env,
		}))
	case "hashivault":
		mount, key, err := hashivault.ParseURI(cfg.SigningKey, env.Getenv)
		if err != nil {
			return nil, err
		}
		return signer(hashivault.New(hashivault.Options{
			Mount: mount, Key: key,
			Address: cfg.VaultAddress, Role: cfg.VaultRole, AuthPath: cfg.VaultAuthPath, Audience: cfg.VaultAudience,
			Env: env,
		}))
	case "azurekms":
		vault, key, version, err := azurekms.ParseURI(cfg.SigningKey)
		if err != nil {
			return nil, err
		}
		return signer(azurekms.New(azurekms.Options{
			Vault: vault, Key: key, Version: version,
			ClientID: cfg.AzureClientID, TenantID: cfg.AzureTenantID, AccessToken: cfg.AzureAccessToken,
			Env: env,
		}))
	}
	return nil, hint.New(fmt.Errorf("signing-key: %q is not a KMS key scheme", scheme),
		"name the key in {signing-key} as awskms:///KEY, gcpkms://…, hashivault://KEY or azurekms://VAULT/KEY")
}

// signer returns a provider's New result as an appjwt.Signer: on error a
// nil interface, not one holding a nil *Signer.
func signer[S appjwt.Signer](s S, err error) (appjwt.Signer, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
