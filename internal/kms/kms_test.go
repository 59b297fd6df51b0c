package kms

import (
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// TestNewDispatch checks that each URI form reaches its provider, which
// checks the rest of the URI without a request, and that an unknown scheme
// is refused.
func TestNewDispatch(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_REGION": "eu-west-1", "VAULT_ADDR": "https://vault.example"}
	tests := []struct {
		uri     string
		wantErr string // "" for a signer
	}{
		{uri: "awskms:///alias/app"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"},
		{uri: "hashivault://app"},
		{uri: "azurekms://v.vault.azure.net/app"},
		{uri: "awskms://kms.example/alias/app"},
		{uri: "awskms://alias/app", wantErr: "three slashes"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r", wantErr: "not the resource name of a key"},
		{uri: "pkcs11://slot", wantErr: "not a KMS key scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			t.Parallel()
			s, _, err := New(tt.uri, nil, Env{Getenv: func(k string) string { return env[k] }})
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New(%q) = %v, %v; want a signer", tt.uri, s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error()+" "+hint.Next(err), tt.wantErr) {
				t.Fatalf("New(%q) error = %v (hint %q), want %q", tt.uri, err, hint.Next(err), tt.wantErr)
			}
			if s != nil {
				t.Errorf("New(%q) returned a signer with its error", tt.uri)
			}
		})
	}
}

// TestRegistry checks the registry's entries: a scheme, a name, a form of
// the scheme, a constructor, and input names that no two providers share.
func TestRegistry(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, p := range Providers() {
		if p.Scheme == "" || p.Name == "" || p.New == nil || p.Endpoint == "" || !strings.HasPrefix(p.Form, p.Scheme+"://") {
			t.Errorf("provider %+v: want a scheme, a name, a form of its scheme, an endpoint and a constructor", p.Scheme)
		}
		if got, ok := Lookup(p.Form); !ok || got.Scheme != p.Scheme {
			t.Errorf("Lookup(%q) = %q, %t; want %q", p.Form, got.Scheme, ok, p.Scheme)
		}
		for _, in := range p.Inputs {
			if other, dup := seen[in.Name]; dup {
				t.Errorf("input %s is both %s's and %s's", in.Name, other, p.Scheme)
			}
			seen[in.Name] = p.Scheme
			if in.Secret != (in.Env != "") || in.Secret == (in.Usage != "") {
				t.Errorf("input %s: a secret needs an environment variable and no flag usage; another input, a usage", in.Name)
			}
		}
	}
}

// TestCheck checks that Check refuses what New would, for each provider,
// without the environment: the scheme, and the rest of the URI.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri     string
		wantErr string // "" for a URI that passes
	}{
		{uri: "awskms:///alias/app"},
		{uri: "awskms://kms.example:4566/alias/app"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"},
		{uri: "hashivault://teams/transit/app"},
		{uri: "azurekms://v.vault.azure.net/app/0123456789abcdef0123456789abcdef"},
		{uri: "awskms://alias/app", wantErr: "three slashes"},
		{uri: "awskms:///alias/", wantErr: "not an alias name"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r", wantErr: "not the resource name of a key"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/V", wantErr: "not a number"},
		{uri: "hashivault://", wantErr: "names no key"},
		{uri: "azurekms://v.vault.azure.net/a_b", wantErr: "not a Key Vault key name"},
		{uri: "azurekms://v.vault.azure.net", wantErr: "not azurekms://VAULT/KEY"},
		{uri: "pkcs11://slot", wantErr: "not a KMS key scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			t.Parallel()
			p, err := Check(tt.uri)
			if tt.wantErr == "" {
				if err != nil || !strings.HasPrefix(tt.uri, p.Scheme+"://") {
					t.Fatalf("Check(%q) = %q, %v; want its provider", tt.uri, p.Scheme, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error()+" "+hint.Next(err), tt.wantErr) {
				t.Fatalf("Check(%q) error = %v (hint %q), want %q", tt.uri, err, hint.Next(err), tt.wantErr)
			}
			if hint.Next(err) == "" {
				t.Errorf("Check(%q) error has no next step", tt.uri)
			}
		})
	}
}

// TestNewMasksSecretInputs checks that New masks every secret identity
// input of the URI's provider before anything uses it: before the
// provider's constructor, which sends nothing, so the mask is New's own.
func TestNewMasksSecretInputs(t *testing.T) {
	t.Parallel()
	secrets := 0
	for _, p := range Providers() {
		values := map[string]string{}
		for _, in := range p.Inputs {
			if in.Secret {
				values[in.Name] = "secret-" + in.Name
				secrets++
			}
		}
		var masked []string
		_, _, err := New(p.Example, values, Env{
			Getenv: func(k string) string {
				return map[string]string{"AWS_REGION": "eu-west-1", "VAULT_ADDR": "https://vault.example"}[k]
			},
			Mask: func(s string) { masked = append(masked, s) },
		})
		if err != nil {
			t.Fatalf("New(%q) error = %v", p.Example, err)
		}
		for name, v := range values {
			if !slices.Contains(masked, v) {
				t.Errorf("New(%q) did not mask %s", p.Example, name)
			}
		}
		if len(masked) != len(values) {
			t.Errorf("New(%q) masked %d values, want only the %d secret inputs", p.Example, len(masked), len(values))
		}
	}
	if secrets == 0 {
		t.Fatal("no provider has a secret input: the test checks nothing")
	}
}
