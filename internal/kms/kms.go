// Package kms signs the app's JWT with a key that lives in a cloud KMS or
// in Vault, so that the app's private key never enters a runner. The
// key is named by a URI, in the form sigstore/cosign made familiar:
//
//	awskms:///KEY                 AWS KMS: a key ARN, key ID or alias/NAME
//	awskms://HOST[:PORT]/KEY      the same, at that KMS endpoint
//	gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V | /versions/V]
//	hashivault://KEY              Vault Transit (mount transit or $TRANSIT_SECRET_ENGINE_PATH), or hashivault://MOUNT/KEY
//	azurekms://VAULT.vault.azure.net/KEY[/VERSION]
//
// Each provider has its own package (awskms, gcpkms, hashivault,
// azurekms), with an emulator beside it for tests, that declares its
// [Provider]: its scheme, inputs and constructor. [Providers] lists them,
// one line each; the rest of the program reads that list. Credentials come from
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
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// Provider describes a provider: its scheme, inputs and constructor.
type Provider = provider.Spec

// Input is an identity input of a provider.
type Input = provider.Input

// Providers returns the registry: every provider, in action.yml's order.
// A provider is one package under internal/kms that declares its
// [Provider], and one line here. The list is a literal, built when called,
// so that start-up does no work for it.
func Providers() []Provider {
	return []Provider{
		awskms.Provider,
		gcpkms.Provider,
		hashivault.Provider,
		azurekms.Provider,
	}
}

// Lookup returns the provider of the signing-key URI uri, by its scheme.
func Lookup(uri string) (Provider, bool) {
	scheme, _, ok := strings.Cut(strings.TrimSpace(uri), "://")
	if !ok {
		return Provider{}, false
	}
	for _, p := range Providers() {
		if p.Scheme == scheme {
			return p, true
		}
	}
	return Provider{}, false
}

// Forms returns the URI forms of every provider, for messages:
// "awskms:///KEY, gcpkms://…, hashivault://KEY or azurekms://VAULT/KEY".
func Forms() string {
	ps := Providers()
	forms := make([]string, len(ps))
	for i, p := range ps {
		forms[i] = p.Form
	}
	return strings.Join(forms[:len(forms)-1], ", ") + " or " + forms[len(forms)-1]
}

// Env is the outside world of the KMS clients: HTTP client, environment,
// clock, sleep, mask and the job's OIDC token. OIDC nil: the token the
// runner issues ([oidc.Fetcher]).
type Env = kmshttp.Env

// New returns the signer of the key uri names, authenticated with the
// identity inputs in values (by input name; another provider's are
// ignored). It checks the URI and the inputs; it makes no request. Its
// errors carry a hint.
func New(uri string, values map[string]string, env Env) (appjwt.Signer, error) {
	p, ok := Lookup(uri)
	if !ok {
		scheme, _, _ := strings.Cut(uri, "://")
		return nil, hint.New(fmt.Errorf("signing-key: %q is not a KMS key scheme", scheme),
			"name the key in {signing-key} as "+Forms())
	}
	env = env.WithDefaults()
	if env.OIDC == nil {
		env.OIDC = oidc.Fetcher{HTTP: env.HTTP, Getenv: env.Getenv, Mask: env.Mask, Sleep: env.Sleep}.Fetch
	}
	return p.New(strings.TrimSpace(uri), values, env)
}
