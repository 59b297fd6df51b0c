package azurekms

import (
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Azure Key Vault's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme:  "azurekms",
	Name:    "Azure Key Vault",
	Form:    "azurekms://VAULT.vault.azure.net/KEY",
	Example: "azurekms://v.vault.azure.net/github-app",
	Inputs: []provider.Input{
		{Name: "azure-client-id", Usage: "with an azurekms key: the federated app's client `ID`"},
		{Name: "azure-tenant-id", Usage: "with --azure-client-id: the `tenant`"},
		{Name: "azure-access-token", Secret: true, Env: "AZURE_ACCESS_TOKEN"},
	},
	Ambient:  "AZURE_ACCESS_TOKEN (az account get-access-token --resource https://vault.azure.net)",
	Endpoint: "the vault's host in {signing-key}, and " + authorityEnv + " if set",
	Check:    checkURI,
	New:      newFromURI,
}

// checkURI checks azurekms://VAULT/KEY[/VERSION] and its parts.
func checkURI(uri string) error {
	vault, key, version, err := ParseURI(uri)
	if err != nil {
		return err
	}
	_, err = checkKey(vault, key, version)
	return err
}

// newFromURI returns the signer of azurekms://VAULT/KEY[/VERSION].
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (provider.Signer, error) {
	vault, key, version, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return provider.Result(New(Options{
		Vault: vault, Key: key, Version: version,
		ClientID: values["azure-client-id"], TenantID: values["azure-tenant-id"], AccessToken: values["azure-access-token"],
		Env: env,
	}))
}
