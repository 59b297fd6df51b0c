package config

import (
	"fmt"
	"strings"
)

// Keyless is the keyless signing configuration: the signing-key URI and
// the identity inputs of its provider, unchecked beyond their form
// (package kms parses the URI fully).
type Keyless struct {
	SigningKey string // awskms:///…, gcpkms://…, hashivault://…, azurekms://…

	AWSRoleARN string // aws-role-arn

	GCPWorkloadIdentityProvider string // gcp-workload-identity-provider
	GCPServiceAccount           string // gcp-service-account
	GCPAccessToken              string // gcp-access-token; a secret

	VaultRole     string // vault-role
	VaultAuthPath string // vault-auth-path; "" means jwt
	VaultAddress  string // vault-address; "" means $VAULT_ADDR
	VaultAudience string // vault-audience; "" means the provider's default

	AzureClientID    string // azure-client-id
	AzureTenantID    string // azure-tenant-id
	AzureAccessToken string // azure-access-token; a secret
}

// Secrets returns the keyless inputs that are secrets, for masking.
func (k *Keyless) Secrets() []string {
	var out []string
	for _, s := range []string{k.GCPAccessToken, k.AzureAccessToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// keylessInputs are the identity inputs of each provider, by URI scheme,
// in action.yml's order: a slice, so that warnings and errors come in that
// order every run.
var keylessInputs = []struct {
	scheme string
	inputs []string
}{
	{"awskms", []string{"aws-role-arn"}},
	{"gcpkms", []string{"gcp-workload-identity-provider", "gcp-service-account", "gcp-access-token"}},
	{"hashivault", []string{"vault-role", "vault-auth-path", "vault-address", "vault-audience"}},
	{"azurekms", []string{"azure-client-id", "azure-tenant-id", "azure-access-token"}},
}

// knownScheme reports whether scheme is a provider's.
func knownScheme(scheme string) bool {
	for _, p := range keylessInputs {
		if p.scheme == scheme {
			return true
		}
	}
	return false
}

// keyless reads signing-key, given as uri, and its provider's inputs. An
// identity input of another provider, or with no signing-key, is a
// warning: it has no effect. Every one is checked as any input is.
func (l *loader) keyless(uri string) error {
	scheme, _, ok := strings.Cut(uri, "://")
	if uri != "" && (!ok || !knownScheme(scheme)) {
		return inputError("signing-key",
			fmt.Sprintf("%s is not a key URI", quote(cutSecretish(uri))),
			"name the app's key as awskms:///KEY, gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V, hashivault://KEY or azurekms://VAULT.vault.azure.net/KEY")
	}
	values := map[string]string{}
	for _, p := range keylessInputs {
		for _, name := range p.inputs {
			v, err := l.input(name)
			if err != nil {
				return err
			}
			switch {
			case v == "" || p.scheme == scheme:
			case uri == "":
				l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s} is ignored: {signing-key} is not set", name))
				continue
			default:
				l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s} is ignored: {signing-key} names a %s key", name, scheme))
				continue
			}
			values[name] = v
		}
	}
	if uri == "" {
		return nil
	}
	l.c.Keyless = &Keyless{
		SigningKey:                  uri,
		AWSRoleARN:                  values["aws-role-arn"],
		GCPWorkloadIdentityProvider: values["gcp-workload-identity-provider"],
		GCPServiceAccount:           values["gcp-service-account"],
		GCPAccessToken:              values["gcp-access-token"],
		VaultRole:                   values["vault-role"],
		VaultAuthPath:               values["vault-auth-path"],
		VaultAddress:                values["vault-address"],
		VaultAudience:               values["vault-audience"],
		AzureClientID:               values["azure-client-id"],
		AzureTenantID:               values["azure-tenant-id"],
		AzureAccessToken:            values["azure-access-token"],
	}
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
