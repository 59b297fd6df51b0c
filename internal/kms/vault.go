package kms

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault"
)

// newVault returns the signer of hashivault://rest.
func newVault(rest string, cfg Config, env Env) (appjwt.Signer, error) {
	mount, key, err := hashivault.ParseURI(rest)
	if err != nil {
		return nil, err
	}
	return hashivault.New(hashivault.Options{
		Mount:    mount,
		Key:      key,
		Address:  cfg.VaultAddress,
		Role:     cfg.VaultRole,
		AuthPath: cfg.VaultAuthPath,
		Audience: cfg.VaultAudience,
		HTTP:     env.HTTP,
		Getenv:   env.Getenv,
		Now:      env.Now,
		Sleep:    env.Sleep,
		Mask:     env.Mask,
		OIDC:     env.oidcFunc(),
	})
}
