// Package provider describes a KMS provider to the rest of the program:
// its URI scheme, its inputs, its checks and its constructor, in one
// [Spec] that each provider package (awskms, gcpkms, hashivault,
// azurekms) declares in its register.go and package kms lists. Config,
// the command line's flags and help, and the checks of action.yml read the
// list rather than lists of their own.
package provider

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
)

// Spec is one provider.
type Spec struct {
	// Scheme is the signing-key URI's scheme, without "://": "awskms".
	Scheme string
	// Name is the provider's name in messages: "AWS KMS".
	Name string
	// Form is the URI's form for messages: "awskms:///KEY".
	Form string
	// Example is a URI of that form that Check accepts, for tests over
	// the registry: "awskms:///alias/github-app".
	Example string
	// Inputs are the provider's identity inputs, in action.yml's order.
	Inputs []Input
	// Ambient names the credentials the provider reads from the
	// environment when no identity input is set, and how to get them on a
	// workstation, for the command line's help: "VAULT_ADDR and
	// VAULT_TOKEN".
	Ambient string
	// Endpoint says where the provider's endpoints are set, for the next
	// step after a request that got no answer, naming inputs as {field}:
	// "{vault-address} (or VAULT_ADDR)".
	Endpoint string
	// Check checks the whole URI of a key of the provider, without the
	// environment or a request, so that a bad URI fails when the
	// configuration is read. Its errors carry a hint.
	Check func(uri string) error
	// New returns the signer of the key uri names, with the identity
	// inputs in values (absent: empty). It checks the URI and the
	// inputs; it sends no request. Its errors carry a hint. Package kms
	// masks the secret inputs before it calls New, and wraps the signer
	// with [Spec.Checked].
	New func(uri string, values map[string]string, env kmshttp.Env) (Signer, error)
}

// Input is an identity input of a provider: an input of the action, and
// on the command line a flag of the same name or, for a secret, an
// environment variable.
type Input struct {
	Name string // "aws-role-arn", as action.yml spells it
	// Secret inputs are masked before use, and never read from a flag,
	// where shell history and ps would show them: the command line reads
	// them from Env.
	Secret bool
	Env    string // a secret's environment variable on the command line
	// Usage is the command-line flag's usage text (see package flag: a
	// `quoted` word names the value).
	Usage string
}

// Signer is a provider's signer: it signs, and says which key it needs.
type Signer interface {
	appjwt.Signer
	// KeyHint is the next step when the key's signature is not one that
	// GitHub accepts (see [appjwt.RemoteSigner]): the kind of key the
	// provider must hold, naming {signing-key}.
	KeyHint() string
}

// Checked returns s with the checks of every KMS signature, worded for
// p: see [appjwt.RemoteSigner].
func (p Spec) Checked(s Signer) appjwt.Signer {
	return appjwt.RemoteSigner{Signer: s, Provider: p.Name, Hint: s.KeyHint()}
}

// Result returns a provider's constructor's result as a [Signer]: on
// error a nil interface, not one holding a nil pointer.
func Result[S Signer](s S, err error) (Signer, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
