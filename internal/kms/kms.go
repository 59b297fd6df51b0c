// Package kms signs the app's JWT with a key that lives in a cloud KMS or
// in Vault, so that the app's private key never enters a runner. The
// key is named by a URI, in the form sigstore/cosign made familiar,
// SCHEME://…, one scheme per provider ([Forms] lists them).
//
// Each provider has its own package under internal/kms, named for its
// scheme, with an emulator beside it for tests, that declares its
// [provider.Spec] in its register.go: its scheme, URI form, inputs,
// checks and constructor. [Providers] lists them, one line each; the rest
// of the program reads that list, and names no provider. Credentials come
// from the job's OIDC token, exchanged by the provider's package when its
// identity input is set, or else from what the provider's own login
// action leaves in the environment. Every credential is handed to
// Env.Mask before use, and appears in no error.
package kms

import (
	"errors"
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

// Providers returns the registry: every provider, in action.yml's order.
// A provider is one package under internal/kms that declares its
// [provider.Spec], and one line here. The list is a literal, built when
// called, so that start-up does no work for it.
func Providers() []provider.Spec {
	return []provider.Spec{
		awskms.Provider,
		gcpkms.Provider,
		hashivault.Provider,
		azurekms.Provider,
	}
}

// Lookup returns the provider of the signing-key URI uri, by its scheme.
func Lookup(uri string) (provider.Spec, bool) {
	scheme, _, ok := strings.Cut(strings.TrimSpace(uri), "://")
	if !ok {
		return provider.Spec{}, false
	}
	for _, p := range Providers() {
		if p.Scheme == scheme {
			return p, true
		}
	}
	return provider.Spec{}, false
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

// Ambient returns what every provider reads from the environment when no
// identity input is set, for help: "AWS_ACCESS_KEY_ID, … (…), VAULT_ADDR
// and VAULT_TOKEN, …".
func Ambient() string {
	var parts []string
	for _, p := range Providers() {
		parts = append(parts, p.Ambient)
	}
	return strings.Join(parts, ", ")
}

// Env is the outside world of the KMS clients: HTTP client, environment,
// clock, sleep, mask and the job's OIDC token. OIDC nil: the token the
// runner issues ([oidc.Fetcher]).
type Env = kmshttp.Env

// Check checks the signing-key URI uri whole, as its provider reads it,
// without the environment or a request, and returns its provider. Config
// calls it, so that a bad URI fails before anything uses or stores it.
// Its errors carry a hint.
func Check(uri string) (provider.Spec, error) {
	p, ok := Lookup(uri)
	if !ok {
		return provider.Spec{}, unknownScheme(uri)
	}
	if err := p.Check(strings.TrimSpace(uri)); err != nil {
		return provider.Spec{}, err
	}
	return p, nil
}

// New returns the signer of the key uri names, and its provider,
// authenticated with the identity inputs in values (by input name;
// another provider's are ignored). It masks the provider's secret inputs
// first, with env.Mask. The signer passes the checks of every KMS
// signature ([provider.Spec.Checked]). New checks the URI and the inputs;
// it makes no request. Its errors carry a hint.
func New(uri string, values map[string]string, env Env) (appjwt.Signer, provider.Spec, error) {
	p, ok := Lookup(uri)
	if !ok {
		return nil, provider.Spec{}, unknownScheme(uri)
	}
	env = env.WithDefaults()
	// The mask comes first.
	for _, in := range p.Inputs {
		if v := values[in.Name]; in.Secret && v != "" {
			env.Mask(v)
		}
	}
	if env.OIDC == nil {
		env.OIDC = oidc.Fetcher{HTTP: env.HTTP, Getenv: env.Getenv, Mask: env.Mask, Sleep: env.Sleep}.Fetch
	}
	s, err := p.New(strings.TrimSpace(uri), values, env)
	if err != nil {
		return nil, provider.Spec{}, err
	}
	return p.Checked(s), p, nil
}

// ErrUnknownScheme is wrapped by the error of a URI whose scheme no
// provider has.
var ErrUnknownScheme = errors.New("not a KMS key scheme")

// unknownScheme is the error of a URI whose scheme no provider has.
func unknownScheme(uri string) error {
	scheme, _, _ := strings.Cut(uri, "://")
	return hint.New(fmt.Errorf("signing-key: %q is %w", scheme, ErrUnknownScheme),
		"name the key in {signing-key} as "+Forms())
}
