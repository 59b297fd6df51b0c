package kms

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms"
)

// newAzure returns the signer of azurekms://rest.
func newAzure(rest string, cfg Config, env Env) (appjwt.Signer, error) {
	vault, key, version, err := azurekms.ParseURI("azurekms://" + rest)
	if err != nil {
		return nil, err
	}
	s, err := azurekms.New(azurekms.Options{
		Vault:       vault,
		Key:         key,
		Version:     version,
		ClientID:    cfg.AzureClientID,
		TenantID:    cfg.AzureTenantID,
		AccessToken: cfg.AzureAccessToken,
		HTTP:        env.HTTP,
		Getenv:      env.Getenv,
		Now:         env.Now,
		Sleep:       env.Sleep,
		Mask:        env.Mask,
		OIDC:        env.oidcFunc(),
	})
	if err != nil {
		return nil, err // a nil *Signer must not become a non-nil interface
	}
	return s, nil
}
