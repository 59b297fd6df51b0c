package gcpkms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// The variables that name a credentials file, in the order read:
// Application Default Credentials' GOOGLE_APPLICATION_CREDENTIALS, then
// gcloud's CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE and GOOGLE_GHA_CREDS_PATH.
// google-github-actions/auth (src/main.ts) exports all three, naming the
// one file it wrote, with create_credentials_file and
// export_environment_variables, which are true by default.
var credentialsFileEnvs = []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "GOOGLE_GHA_CREDS_PATH"}

// maxCredentialsFile bounds the credentials file read.
const maxCredentialsFile = 64 << 10

// externalAccount is the part of an external_account credentials file
// read here ("Workload identity federation with other providers" and
// Google's auth libraries' external account credentials): the workload
// identity provider's audience, the subject token's type and source, the
// Security Token Service's URL and, optionally, the service account to
// impersonate. google-github-actions/auth writes one
// (src/client/workload_identity_federation.ts, createCredentialsFile):
//
//	{"type":"external_account",
//	 "audience":"//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X",
//	 "subject_token_type":"urn:ietf:params:oauth:token-type:jwt",
//	 "token_url":"https://sts.googleapis.com/v1/token",
//	 "credential_source":{"url":"ACTIONS_ID_TOKEN_REQUEST_URL&audience=https://iam.googleapis.com/…",
//	   "headers":{"Authorization":"Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN"},
//	   "format":{"type":"json","subject_token_field_name":"value"}},
//	 "service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/SA:generateAccessToken"}
//
// The header holds the runner's request token: the file is a secret.
type externalAccount struct {
	Type                           string           `json:"type"`
	Audience                       string           `json:"audience"`
	SubjectTokenType               string           `json:"subject_token_type"`
	TokenURL                       string           `json:"token_url"`
	ServiceAccountImpersonationURL string           `json:"service_account_impersonation_url"`
	CredentialSource               credentialSource `json:"credential_source"`
}

// credentialSource says where the subject token comes from: a file, or a
// URL to GET with headers; its format is text (the default) or a JSON
// object with the token in subject_token_field_name. Other sources (AWS's
// environment_id, an executable) are not supported.
type credentialSource struct {
	File    string            `json:"file"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Format  struct {
		Type                  string `json:"type"`
		SubjectTokenFieldName string `json:"subject_token_field_name"`
	} `json:"format"`
	EnvironmentID string          `json:"environment_id"`
	Executable    json.RawMessage `json:"executable"`
}

// credentialsFile returns the variable that names a credentials file and
// its value, or "", "".
func (s *Signer) credentialsFile() (env, path string) {
	for _, e := range credentialsFileEnvs {
		if p := strings.TrimSpace(s.o.Getenv(e)); p != "" {
			return e, p
		}
	}
	return "", ""
}

// noCredentials is the error when no way to authenticate is given.
func noCredentials() error {
	return hint.New(errors.New("GCP KMS: no credentials: no workload identity provider, no access token and no credentials file (GOOGLE_APPLICATION_CREDENTIALS) is given"),
		"run google-github-actions/auth with workload_identity_provider in an earlier step (its credentials file is read), with permissions: id-token: write; "+
			"or set {gcp-workload-identity-provider} (and {gcp-service-account} to impersonate one) so that the job's OIDC token is exchanged; "+
			"or pass an access token in {gcp-access-token} or "+accessTokenEnv)
}

// fromFile obtains an access token as the credentials file that
// GOOGLE_APPLICATION_CREDENTIALS (or gcloud's variables) names says: the
// subject token from its credential_source, exchanged at its token_url for
// its audience, then, with service_account_impersonation_url, the service
// account's token.
//
// The path is read as given: the runner rewrites every variable of a
// container action's environment with TranslateToContainerPath
// (actions/runner src/Runner.Worker/Handlers/ContainerActionHandler.cs,
// with the mapping of the host's workspace to /github/workspace added
// there), so that a file auth wrote into the workspace is named by its
// path under /github/workspace. Only a path from a container job's step,
// which that rewriting misses, is mapped here (see jobContainerPath).
func (s *Signer) fromFile(ctx context.Context) (credential, error) {
	env, path := s.credentialsFile()
	if path == "" {
		return credential{}, noCredentials()
	}
	readFile := s.o.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	b, err := readFile(path)
	if alt := jobContainerPath(path, s.o.Getenv("GITHUB_WORKSPACE")); errors.Is(err, fs.ErrNotExist) && alt != "" {
		if b2, err2 := readFile(alt); err2 == nil {
			b, err = b2, nil
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return credential{}, hint.New(fmt.Errorf("GCP: read the credentials file that %s names: %s does not exist", env, path),
				"run google-github-actions/auth after actions/checkout, not before (checkout empties the workspace, where auth writes the file), in the same job; "+
					"a file outside the workspace is not visible to a container action")
		}
		return credential{}, fmt.Errorf("GCP: read the credentials file that %s names: %w", env, err)
	}
	if len(b) > maxCredentialsFile {
		return credential{}, fmt.Errorf("GCP: the credentials file that %s names is larger than %d bytes", env, maxCredentialsFile)
	}
	var f externalAccount
	if err := json.Unmarshal(b, &f); err != nil {
		// The error of encoding/json may quote the file: not shown.
		return credential{}, hint.New(fmt.Errorf("GCP: the credentials file that %s names is not JSON", env),
			"point "+env+" at the credentials file that google-github-actions/auth wrote (its output credentials_file_path), or unset it")
	}
	src := &f.CredentialSource
	// Mask the file's secrets before anything can show them: the request
	// token in its headers ("Bearer TOKEN": the token is masked).
	for _, v := range src.Headers {
		if _, tok, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			v = tok
		}
		s.maskSecret(v)
	}
	if f.Type != "external_account" {
		return credential{}, hint.New(fmt.Errorf("GCP: the credentials file that %s names is of type %q, not external_account", env, f.Type),
			"use Workload Identity Federation: google-github-actions/auth with workload_identity_provider (not credentials_json) writes an external_account file; "+
				"or pass an access token in {gcp-access-token} (auth's access_token output, with token_format: access_token)")
	}
	provider, ok := strings.CutPrefix(f.Audience, "//iam.googleapis.com/")
	if ok {
		provider, err = parseProvider(provider)
	}
	if !ok || err != nil {
		return credential{}, hint.New(fmt.Errorf("GCP: the credentials file's audience %q is not a workload identity provider's //iam.googleapis.com/ name", f.Audience),
			"point "+env+" at the file google-github-actions/auth wrote with workload_identity_provider; workforce pools and other audiences are not supported")
	}
	if f.SubjectTokenType == "" {
		f.SubjectTokenType = jwtTokenType
	}
	if err := checkURL(f.TokenURL); err != nil {
		return credential{}, fmt.Errorf("GCP: the credentials file's token_url: %w", err)
	}
	sa := ""
	if u := f.ServiceAccountImpersonationURL; u != "" {
		if err := checkURL(u); err != nil {
			return credential{}, fmt.Errorf("GCP: the credentials file's service_account_impersonation_url: %w", err)
		}
		rest, _, _ := strings.Cut(u, ":generateAccessToken")
		if i := strings.LastIndex(rest, "/serviceAccounts/"); i >= 0 {
			sa, _ = url.PathUnescape(rest[i+len("/serviceAccounts/"):])
		}
		if sa == "" || !strings.HasSuffix(u, ":generateAccessToken") {
			return credential{}, fmt.Errorf("GCP: the credentials file's service_account_impersonation_url is not a generateAccessToken URL")
		}
	}

	idToken, err := s.subjectToken(ctx, env, src)
	if err != nil {
		return credential{}, err
	}
	s.maskSecret(idToken)
	fed, err := s.exchange(ctx, f.TokenURL, f.Audience, f.SubjectTokenType, idToken)
	if err != nil {
		return credential{}, fileHint(fmt.Errorf("with the credentials file that %s names: %w", env, err))
	}
	s.maskSecret(fed.token)
	sub := oidc.Subject(idToken)
	if sa == "" {
		fed.who = federatedPrincipal(pool(provider), sub)
		return fed, nil
	}
	saCred, err := s.impersonate(ctx, f.ServiceAccountImpersonationURL, sa, pool(provider), fed.token, sub, oidc.Describe(idToken))
	if err != nil {
		return credential{}, fileHint(fmt.Errorf("with the credentials file that %s names: %w", env, err))
	}
	s.maskSecret(saCred.token)
	saCred.who = "serviceAccount:" + sa
	return saCred, nil
}

// subjectToken reads the subject token from src: a GET of its url with
// its headers (the runner's OIDC token service, retried as package oidc
// retries the job's token request), or its file; in its format, text or
// json.
func (s *Signer) subjectToken(ctx context.Context, env string, src *credentialSource) (string, error) {
	field := ""
	switch src.Format.Type {
	case "", "text":
	case "json":
		if field = src.Format.SubjectTokenFieldName; field == "" {
			return "", fmt.Errorf("GCP: the credentials file's credential_source format is json without subject_token_field_name")
		}
	default:
		return "", fmt.Errorf("GCP: the credentials file's credential_source format %q is neither text nor json", src.Format.Type)
	}
	switch {
	case src.URL != "":
		if err := checkURL(src.URL); err != nil {
			return "", fmt.Errorf("GCP: the credentials file's credential_source url: %w", err)
		}
		header := http.Header{}
		for k, v := range src.Headers {
			header.Set(k, v)
		}
		f := oidc.Fetcher{HTTP: s.o.HTTP, Mask: s.o.Mask, Sleep: s.o.Sleep}
		tok, err := f.FetchURL(ctx, src.URL, header, field)
		if err != nil {
			return "", fmt.Errorf("GCP: with the credentials file that %s names: %w", env, err)
		}
		return tok, nil
	case src.File != "":
		readFile := s.o.ReadFile
		if readFile == nil {
			readFile = os.ReadFile
		}
		b, err := readFile(src.File)
		if err != nil {
			return "", fmt.Errorf("GCP: read the subject token file that the credentials file names: %w", err)
		}
		if field == "" {
			if tok := strings.TrimSpace(string(b)); tok != "" {
				return tok, nil
			}
			return "", errors.New("GCP: the subject token file that the credentials file names is empty")
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return "", errors.New("GCP: the subject token file that the credentials file names is not a JSON object")
		}
		if tok, _ := m[field].(string); tok != "" {
			return tok, nil
		}
		return "", fmt.Errorf("GCP: the subject token file that the credentials file names holds no %q", field)
	case src.EnvironmentID != "" || len(src.Executable) > 0:
		return "", hint.New(errors.New("GCP: the credentials file's credential_source (AWS or an executable) is not supported"),
			"use the file google-github-actions/auth writes with workload_identity_provider, or set {gcp-workload-identity-provider}")
	}
	return "", errors.New("GCP: the credentials file's credential_source names neither a url nor a file")
}

// jobContainerPath returns where this container sees a file that a step
// of a container job named: that step saw the runner's work directory as
// /__w (actions/runner src/Runner.Worker/Container/ContainerInfo.cs maps
// WellKnownDirectory.Work to /__w), so google-github-actions/auth, run in
// the job's container, exports /__w/REPO/REPO/gha-creds-….json; the runner
// translates only host paths into a container action's environment
// (ContainerActionHandler.cs, TranslateToContainerPath), so the path
// arrives untranslated, while the workspace, _work/REPO/REPO on the host,
// is mounted at workspace (/github/workspace). It returns "" for another
// path.
func jobContainerPath(path, workspace string) string {
	rest, ok := strings.CutPrefix(path, "/__w/")
	parts := strings.SplitN(rest, "/", 3)
	if !ok || workspace == "" || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || strings.Contains(parts[2], "..") {
		return ""
	}
	return strings.TrimRight(workspace, "/") + "/" + parts[2]
}

// fileHint rewords err's hint for credentials from a file: the provider
// and the service account are not this action's inputs but the file's,
// written from google-github-actions/auth's inputs.
func fileHint(err error) error {
	next := hint.Next(err)
	if next == "" {
		return err
	}
	next = strings.NewReplacer(
		"{gcp-workload-identity-provider}", "the workload identity provider of the credentials file (google-github-actions/auth's workload_identity_provider)",
		"{gcp-service-account}", "the service account of the credentials file (auth's service_account)",
	).Replace(next)
	return hint.New(err, next)
}

// maskSecret masks a secret and blanks it in later errors.
func (s *Signer) maskSecret(v string) {
	if v = strings.TrimSpace(v); v == "" {
		return
	}
	s.o.Mask(v)
	s.secrets = append(s.secrets, v)
}

// checkURL accepts an https URL, or an http one on loopback (a test's
// emulator, a local proxy): the file's URLs receive credentials.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return errors.New("not a URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%s://%s is not https", u.Scheme, u.Host)
}
