// Package provider describes a KMS provider to the rest of the program:
// its URI scheme, its inputs and its constructor, in one [Spec] that each
// provider package (awskms, gcpkms, hashivault, azurekms) declares and
// package kms lists. Config, the command line's flags and the checks of
// action.yml read the list rather than lists of their own.
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
	// Inputs are the provider's identity inputs, in action.yml's order.
	Inputs []Input
	// Endpoint says where the provider's endpoints are set, for the next
	// step after a request that got no answer, naming inputs as {field}:
	// "{vault-address} (or VAULT_ADDR)".
	Endpoint string
	// New returns the signer of the key uri names, with the identity
	// inputs in values (absent: empty). It checks the URI and the
	// inputs; it sends no request. Its errors carry a hint.
	New func(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error)
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

// Signer returns a provider's New result as an appjwt.Signer: on error a
// nil interface, not one holding a nil *Signer.
func Signer[S appjwt.Signer](s S, err error) (appjwt.Signer, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
