package hashivault

import (
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Vault Transit's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme:  "hashivault",
	Name:    name,
	Form:    "hashivault://KEY",
	Example: "hashivault://github-app",
	Inputs: []provider.Input{
		{Name: "vault-role", Usage: "with a hashivault key: the JWT auth `role` (default: $VAULT_TOKEN)"},
		{Name: "vault-auth-path", Usage: "the JWT auth method's mount `path` (default jwt)"},
		{Name: "vault-address", Usage: "Vault's `address` (default $VAULT_ADDR)"},
		{Name: "vault-audience", Usage: "the `audience` of the OIDC token sent to Vault"},
	},
	Ambient:  "VAULT_ADDR and VAULT_TOKEN",
	Endpoint: "{vault-address} (or VAULT_ADDR)",
	Check:    checkURI,
	New:      newFromURI,
}

// checkURI checks hashivault://[MOUNT/]KEY.
func checkURI(uri string) error {
	_, _, err := ParseURI(uri, nil)
	return err
}

// newFromURI returns the signer of hashivault://[MOUNT/]KEY; with no
// MOUNT, $TRANSIT_SECRET_ENGINE_PATH or transit.
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (provider.Signer, error) {
	mount, key, err := ParseURI(uri, env.Getenv)
	if err != nil {
		return nil, err
	}
	return provider.Result(New(Options{
		Mount: mount, Key: key,
		Address: values["vault-address"], Role: values["vault-role"], AuthPath: values["vault-auth-path"], Audience: values["vault-audience"],
		Env: env,
	}))
}
