package gcpkms

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Scheme prefixes the key's resource name in the signing-key URI.
const Scheme = "gcpkms://"

// keyForm is the shape of a key version's resource name, for hints.
const keyForm = "gcpkms://projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY/cryptoKeyVersions/VERSION (or without /cryptoKeyVersions/VERSION: the newest enabled RSA_SIGN_PKCS1_*_SHA256 version)"

// providerForm is the shape of a workload identity provider's name.
const providerForm = "projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER"

// ParseURI returns the resource name that a signing-key URI names: a key
// version, projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V,
// or a key, projects/P/locations/L/keyRings/R/cryptoKeys/K, whose version
// the signer then chooses. It accepts the forms of sigstore's gcpkms
// scheme (pkg/signature/kms/gcp/client.go: a version written as
// cryptoKeyVersions/V or versions/V, or none) and writes versions/V as
// cryptoKeyVersions/V, the resource's name in the Cloud KMS API.
func ParseURI(uri string) (string, error) {
	if !strings.HasPrefix(strings.TrimSpace(uri), Scheme) {
		return "", hint.New(errors.New("GCP KMS: the key URI does not start with "+Scheme),
			"set {signing-key} to "+keyForm)
	}
	key, version, err := parseKey(uri)
	if err != nil || version == "" {
		return key, err
	}
	return key + "/cryptoKeyVersions/" + version, nil
}

// parseKey returns the resource name of the key that name (with or
// without the gcpkms:// prefix) designates, and its version's number, or
// "" if name names no version. Cloud KMS names are documented in
// "Resource names" (cloud.google.com/kms/docs/resource-hierarchy):
// projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V;
// sigstore also writes the version as versions/V.
func parseKey(name string) (key, version string, err error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), Scheme)
	if name == "" {
		return "", "", hint.New(errors.New("GCP KMS: no key given"),
			"set {signing-key} to "+keyForm)
	}
	parts := strings.Split(name, "/")
	labels := []string{"projects", "locations", "keyRings", "cryptoKeys"}
	if len(parts) == 8 && matchLabels(parts, labels) && allIDs(parts) {
		return name, "", nil
	}
	if len(parts) != 10 || !matchLabels(parts, labels) || parts[8] != "cryptoKeyVersions" && parts[8] != "versions" || !allIDs(parts) {
		return "", "", hint.New(fmt.Errorf("GCP KMS: %q is not the resource name of a key or a key version", name),
			"set {signing-key} to "+keyForm)
	}
	if !digits(parts[9]) {
		return "", "", hint.New(fmt.Errorf("GCP KMS: key version %q is not a number", parts[9]),
			"end {signing-key} with /cryptoKeyVersions/N, where N is the version's number, or leave the version out to use the newest enabled RSA_SIGN_PKCS1_*_SHA256 version")
	}
	return strings.Join(parts[:8], "/"), parts[9], nil
}

// parseProvider returns the resource name of a workload identity pool
// provider. It forgives the //iam.googleapis.com/ and
// https://iam.googleapis.com/ prefixes of the provider's full name.
func parseProvider(name string) (string, error) {
	name = strings.TrimSpace(name)
	for _, p := range []string{"https://iam.googleapis.com/", "//iam.googleapis.com/"} {
		name = strings.TrimPrefix(name, p)
	}
	parts := strings.Split(name, "/")
	labels := []string{"projects", "locations", "workloadIdentityPools", "providers"}
	if len(parts) != 8 || !matchLabels(parts, labels) || !allIDs(parts) {
		return "", hint.New(fmt.Errorf("GCP: %q is not the name of a workload identity provider", name),
			"set {gcp-workload-identity-provider} to "+providerForm+" (gcloud iam workload-identity-pools providers describe PROVIDER --format 'value(name)')")
	}
	if !digits(parts[1]) {
		return "", hint.New(fmt.Errorf("GCP: workload identity provider %s names project %q, not a project number", name, parts[1]),
			"use the project's number in {gcp-workload-identity-provider}, not its ID (gcloud projects describe PROJECT_ID --format 'value(projectNumber)')")
	}
	return name, nil
}

// checkServiceAccount accepts a service account's email or unique ID.
func checkServiceAccount(sa string) error {
	if sa == "" || strings.ContainsAny(sa, "/?#% \t\n") || !strings.Contains(sa, "@") && !digits(sa) {
		return hint.New(fmt.Errorf("GCP: %q is not a service account's email or unique ID", sa),
			"set {gcp-service-account} to the service account's email, such as NAME@PROJECT.iam.gserviceaccount.com")
	}
	return nil
}

// matchLabels reports whether parts alternates labels and values.
func matchLabels(parts, labels []string) bool {
	for i, l := range labels {
		if parts[2*i] != l {
			return false
		}
	}
	return true
}

// allIDs reports whether every part is a plausible resource ID: not empty,
// of letters, digits and -_.: (project IDs of the domain:project form hold
// the last two).
func allIDs(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
				return false
			}
		}
	}
	return true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// The variables with which gcloud overrides an API's endpoint: the property
// api_endpoint_overrides/API as CLOUDSDK_API_ENDPOINT_OVERRIDES_API
// ("gcloud topic endpoint-override"; "gcloud config": a property
// CATEGORY/NAME is read from CLOUDSDK_CATEGORY_NAME). gcloud's own values
// are a root URL with a trailing slash, such as
// https://cloudkms.googleapis.com/; a value that already ends in /v1/ is
// accepted too.
const (
	kmsEndpointEnv            = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS"
	stsEndpointEnv            = "CLOUDSDK_API_ENDPOINT_OVERRIDES_STS"
	iamCredentialsEndpointEnv = "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS"
)

// endpoint returns the base URL of an API's version 1, ending in /v1:
// the override in env, or def.
func endpoint(getenv func(string) string, env, def string) (string, error) {
	v := strings.TrimSpace(getenv(env))
	if v == "" {
		return def, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", hint.New(fmt.Errorf("GCP: %s is not an http(s) URL", env),
			"set "+env+" to the API's root URL, such as https://cloudkms.googleapis.com/, or unset it")
	}
	base := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	return base, nil
}
