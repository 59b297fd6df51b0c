package gcpkms

import (
	"strings"

	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is Cloud KMS's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme:  "gcpkms",
	Name:    "GCP KMS",
	Form:    "gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V",
	Example: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/github-app/cryptoKeyVersions/1",
	Inputs: []provider.Input{
		{Name: "gcp-workload-identity-provider", Usage: "with a gcpkms key: the workload identity `provider` to exchange the job's OIDC token with (default: $GOOGLE_OAUTH_ACCESS_TOKEN)"},
		{Name: "gcp-service-account", Usage: "with --gcp-workload-identity-provider: the service `account` to impersonate"},
		{Name: "gcp-access-token", Secret: true, Env: accessTokenEnv},
	},
	Ambient:  accessTokenEnv + " (gcloud auth print-access-token)",
	Endpoint: kmsEndpointEnv + ", " + stsEndpointEnv + " and " + iamCredentialsEndpointEnv + " if set",
	Check:    checkURI,
	New:      newFromURI,
}

// checkURI checks gcpkms://projects/…: a key's or a key version's name.
func checkURI(uri string) error {
	_, _, err := parseKey(uri)
	return err
}

// newFromURI returns the signer of gcpkms://projects/….
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (provider.Signer, error) {
	_, rest, _ := strings.Cut(uri, "://")
	return provider.Result(New(Options{
		Key:                      rest,
		WorkloadIdentityProvider: values["gcp-workload-identity-provider"],
		ServiceAccount:           values["gcp-service-account"],
		AccessToken:              values["gcp-access-token"],
		Env:                      env,
	}))
}
