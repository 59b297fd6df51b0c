package gcpkms

import (
	"strings"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Cloud KMS's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme: "gcpkms",
	Name:   "GCP KMS",
	Form:   "gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V",
	Inputs: []provider.Input{
		{Name: "gcp-workload-identity-provider", Usage: "with a gcpkms key: the workload identity `provider` to exchange the job's OIDC token with (default: $GOOGLE_OAUTH_ACCESS_TOKEN)"},
		{Name: "gcp-service-account", Usage: "with --gcp-workload-identity-provider: the service `account` to impersonate"},
		{Name: "gcp-access-token", Secret: true, Env: accessTokenEnv},
	},
	Endpoint: kmsEndpointEnv + ", " + stsEndpointEnv + " and " + iamCredentialsEndpointEnv + " if set",
	New:      newFromURI,
}

// newFromURI returns the signer of gcpkms://projects/….
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error) {
	_, rest, _ := strings.Cut(uri, "://")
	return provider.Signer(New(Options{
		Key:                      rest,
		WorkloadIdentityProvider: values["gcp-workload-identity-provider"],
		ServiceAccount:           values["gcp-service-account"],
		AccessToken:              values["gcp-access-token"],
		Env:                      env,
	}))
}
