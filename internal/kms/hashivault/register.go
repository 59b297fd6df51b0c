package hashivault

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	kmsprovider "github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Vault Transit's entry in package kms's registry.
var Provider = kmsprovider.Spec{
	Scheme: "hashivault",
	Name:   provider,
	Form:   "hashivault://KEY",
	Inputs: []kmsprovider.Input{
		{Name: "vault-role", Usage: "with a hashivault key: the JWT auth `role` (default: $VAULT_TOKEN)"},
		{Name: "vault-auth-path", Usage: "the JWT auth method's mount `path` (default jwt)"},
		{Name: "vault-address", Usage: "Vault's `address` (default $VAULT_ADDR)"},
		{Name: "vault-audience", Usage: "the `audience` of the OIDC token sent to Vault"},
	},
	Endpoint: "{vault-address} (or VAULT_ADDR)",
	New:      newFromURI,
}

// newFromURI returns the signer of hashivault://[MOUNT/]KEY; with no
// MOUNT, $TRANSIT_SECRET_ENGINE_PATH or transit.
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error) {
	mount, key, err := ParseURI(uri, env.Getenv)
	if err != nil {
		return nil, err
	}
	return kmsprovider.Signer(New(Options{
		Mount: mount, Key: key,
		Address: values["vault-address"], Role: values["vault-role"], AuthPath: values["vault-auth-path"], Audience: values["vault-audience"],
		Env: env,
	}))
}
