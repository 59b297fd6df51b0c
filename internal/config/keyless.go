package config

import (
	"fmt"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/kms"
)

// Keyless is the keyless signing configuration: the signing-key URI and
// the identity inputs of its provider, unchecked beyond their form
// (package kms parses the URI fully). Which inputs a provider has, and
// which are secrets, is the registry's word ([kms.Providers]).
type Keyless struct {
	SigningKey string // awskms:///…, gcpkms://…, hashivault://…, azurekms://…
	// Inputs are the identity inputs of SigningKey's provider that are
	// set, by name: {"vault-role": "app-token"}.
	Inputs map[string]string
}

// keylessInputNames returns the identity inputs of every provider, in
// action.yml's order.
func keylessInputNames() []string {
	var names []string
	for _, p := range kms.Providers() {
		for _, in := range p.Inputs {
			names = append(names, in.Name)
		}
	}
	return names
}

// keyless reads signing-key, given as uri, and its provider's inputs. An
// identity input of another provider, or with no signing-key, is a
// warning: it has no effect. Every one is checked as any input is. The
// providers come in the registry's order, so that warnings and errors
// come in one order every run.
func (l *loader) keyless(uri string) error {
	scheme, _, _ := strings.Cut(uri, "://")
	if _, known := kms.Lookup(uri); uri != "" && !known {
		return inputError("signing-key",
			fmt.Sprintf("%s is not a key URI", quote(cutSecretish(uri))),
			"name the app's key as "+kms.Forms())
	}
	values := map[string]string{}
	for _, p := range kms.Providers() {
		for _, in := range p.Inputs {
			v, err := l.input(in.Name)
			if err != nil {
				return err
			}
			switch {
			case v == "" || p.Scheme == scheme:
			case uri == "":
				l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s} is ignored: {signing-key} is not set", in.Name))
				continue
			default:
				l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s} is ignored: {signing-key} names a %s key", in.Name, scheme))
				continue
			}
			if v != "" {
				values[in.Name] = v
			}
		}
	}
	if uri == "" {
		return nil
	}
	l.c.Keyless = &Keyless{SigningKey: uri, Inputs: values}
	return nil
}

// cutSecretish shortens a value that is not a URI before it is quoted: it
// could be a token pasted into the wrong input.
func cutSecretish(s string) string {
	if len(s) > 16 && !strings.Contains(s, "://") {
		return s[:6] + "…"
	}
	return s
}
