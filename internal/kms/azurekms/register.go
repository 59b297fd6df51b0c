package azurekms

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Azure Key Vault's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme: "azurekms",
	Name:   "Azure Key Vault",
	Form:   "azurekms://VAULT.vault.azure.net/KEY",
	Inputs: []provider.Input{
		{Name: "azure-client-id", Usage: "with an azurekms key: the federated app's client `ID`"},
		{Name: "azure-tenant-id", Usage: "with --azure-client-id: the `tenant`"},
		{Name: "azure-access-token", Secret: true, Env: "AZURE_ACCESS_TOKEN"},
	},
	Endpoint: "the vault's host in {signing-key}, and " + authorityEnv + " if set",
	New:      newFromURI,
}

// newFromURI returns the signer of azurekms://VAULT/KEY[/VERSION].
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error) {
	vault, key, version, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return provider.Signer(New(Options{
		Vault: vault, Key: key, Version: version,
		ClientID: values["azure-client-id"], TenantID: values["azure-tenant-id"], AccessToken: values["azure-access-token"],
		Env: env,
	}))
}
