package config

import "github.com/ghapptoken/app-token-action/internal/apptoken"

// Request returns the core's request c describes: the app, its key (the
// private key, or signing-key with its provider's inputs) and the scope.
// The core chooses the signer from the key.
func (c *Config) Request() apptoken.Request {
	r := apptoken.Request{
		Issuer:            c.Issuer,
		Key:               apptoken.Key{PEM: c.PrivateKey},
		APIURL:            c.APIURL,
		ServerURL:         c.ServerURL,
		Owner:             c.Owner,
		RepoOwner:         c.RepoOwner,
		Repositories:      c.Repositories,
		RepositoryIDs:     c.RepositoryIDs,
		InstallationID:    c.InstallationID,
		Enterprise:        c.Enterprise,
		CurrentRepository: c.CurrentRepository,
		Permissions:       c.Permissions,
		GitUser:           c.GitUser,
	}
	if k := c.Keyless; k != nil {
		r.Key = apptoken.Key{URI: k.SigningKey, Inputs: k.Inputs}
	}
	return r
}
