package kms

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms"
)

// newGCP returns the signer of gcpkms://rest.
func newGCP(rest string, cfg Config, env Env) (appjwt.Signer, error) {
	s, err := gcpkms.New(gcpkms.Options{
		Key:                      rest,
		WorkloadIdentityProvider: cfg.GCPWorkloadIdentityProvider,
		ServiceAccount:           cfg.GCPServiceAccount,
		AccessToken:              cfg.GCPAccessToken,
		HTTP:                     env.HTTP,
		Getenv:                   env.Getenv,
		Now:                      env.Now,
		Sleep:                    env.Sleep,
		Mask:                     env.Mask,
		OIDC:                     env.oidcFunc(),
	})
	if err != nil {
		return nil, err // a nil *Signer must not become a non-nil interface
	}
	return s, nil
}
