package gcpkms

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
)

// algorithmHint is the next step when the key version cannot make an
// RS256 signature. Cloud KMS's RS256 algorithms are RSA_SIGN_PKCS1_*_SHA256
// ("Key purposes and algorithms", cloud.google.com/kms/docs/algorithms).
const algorithmHint = "use a key version of purpose ASYMMETRIC_SIGN with algorithm RSA_SIGN_PKCS1_2048_SHA256, RSA_SIGN_PKCS1_3072_SHA256 or RSA_SIGN_PKCS1_4096_SHA256, " +
	"into which the app's private key was imported, in {signing-key}; it must be ENABLED"

// explainExchange gives the Security Token Service's refusal a next step.
// described is oidc.Describe of the job's token: its sub and aud.
func explainExchange(err error, described string) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	if described != "" {
		err = fmt.Errorf("%w (the job's token: %s)", err, described)
	}
	msg := strings.ToLower(e.Message)
	switch {
	case e.Code == "invalid_target":
		// Assumed: STS's code for a missing or disabled pool or provider.
		return hint.New(err, "check {gcp-workload-identity-provider}: the pool or the provider does not exist or is disabled")
	case strings.Contains(msg, "audience"):
		return hint.New(err, "let the workload identity provider {gcp-workload-identity-provider} accept the audience https://iam.googleapis.com/PROVIDER: "+
			"leave its allowed audiences empty (the default accepts it) or add it to them")
	default:
		return hint.New(err, "let the workload identity provider {gcp-workload-identity-provider} accept this repository: "+
			"its attribute condition must admit the job's token (its sub is shown above), such as assertion.repository == 'OWNER/REPO', and its issuer must be https://token.actions.githubusercontent.com")
	}
}

// explainImpersonate gives the IAM Credentials API's refusal a next step.
func explainImpersonate(err error, sa, pool, sub, described string) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	if described != "" {
		err = fmt.Errorf("%w (the job's token: %s)", err, described)
	}
	switch e.Status {
	case http.StatusForbidden:
		return hint.New(err, fmt.Sprintf("grant roles/iam.workloadIdentityUser (permission iam.serviceAccounts.getAccessToken) on the service account {gcp-service-account} "+
			"to this job's identity, principal://iam.googleapis.com/%s/subject/%s, or to a principalSet of the pool that holds it, such as "+
			"principalSet://iam.googleapis.com/%s/attribute.repository/OWNER/REPO", pool, sub, pool))
	case http.StatusNotFound:
		return hint.New(err, "check {gcp-service-account}: no such service account")
	default:
		return hint.New(err, "check {gcp-service-account} and {gcp-workload-identity-provider}")
	}
}

// explainSign gives Cloud KMS's refusal a next step. who names the
// principal the access token stands for.
func explainSign(err error, who string, federated bool) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // a hint of its own, no answer, or a transient one: the core classifies the last two
	}
	switch {
	case e.Status == http.StatusUnauthorized && federated:
		return hint.New(err, "re-run the job; Cloud KMS refused the access token just obtained for the job's OIDC token")
	case e.Status == http.StatusUnauthorized:
		return hint.New(err, "the access token was refused (expired or not an OAuth 2.0 access token): pass a fresh one in {gcp-access-token}, "+
			"or set {gcp-workload-identity-provider} to exchange the job's OIDC token instead")
	case e.Status == http.StatusForbidden && strings.Contains(e.Message, "scope"):
		return hint.New(err, "the access token lacks the scope "+cloudPlatformScope+": ask for it where the token is made")
	case e.Status == http.StatusForbidden:
		return hint.New(err, fmt.Sprintf("check that {signing-key} exists, and grant roles/cloudkms.signer (permission cloudkms.cryptoKeyVersions.useToSign) on it to %s; "+
			"roles/cloudkms.signerVerifier adds .viewPublicKey, with which the action names the key version's algorithm if GitHub refuses a signature", who))
	case e.Status == http.StatusNotFound:
		return hint.New(err, "check {signing-key}: no such key version")
	case e.Code == "FAILED_PRECONDITION" && strings.Contains(strings.ToLower(e.Message), "not enabled"):
		// asymmetricSign's answer for a DISABLED or DESTROYED version.
		return hint.New(err, "enable the key version (gcloud kms keys versions enable), or name another in {signing-key}")
	case e.Code == "FAILED_PRECONDITION" || e.Code == "INVALID_ARGUMENT" && strings.Contains(strings.ToLower(e.Message), "digest"):
		return hint.New(err, algorithmHint)
	default:
		return hint.New(err, "check {signing-key}: "+keyForm)
	}
}
