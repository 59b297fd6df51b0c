package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms"
)

// Keyless is the keyless signing configuration: the signing-key URI,
// checked whole by its provider ([kms.Check]), and the identity inputs of
// its provider, unchecked beyond their form. Which inputs a provider has,
// and which are secrets, is the registry's word ([kms.Providers]).
type Keyless struct {
	SigningKey string // in one of the forms of kms.Forms
	// Inputs are the identity inputs of SigningKey's provider that are
	// set, by name, as the registry names them.
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

// keyless reads signing-key, given as uri, and its provider's inputs. The
// URI is checked whole here, so that a bad one is refused before anything
// uses it or writes it down (install-cli's file). An identity input of
// another provider, or with no signing-key, is a warning: it has no
// effect. Every one is checked as any input is. The providers come in the
// registry's order, so that warnings and errors come in one order every
// run.
func (l *loader) keyless(uri string) error {
	scheme := ""
	if uri != "" {
		p, err := kms.Check(uri)
		switch {
		case errors.Is(err, kms.ErrUnknownScheme):
			return inputError("signing-key",
				fmt.Sprintf("%s is not a key URI", quote(cutSecretish(uri))),
				"name the app's key as "+kms.Forms())
		case err != nil:
			// The provider's words, as an input error: its message
			// names signing-key already.
			return inputError("signing-key", strings.TrimPrefix(err.Error(), "signing-key: "), hint.Next(err))
		}
		scheme = p.Scheme
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
