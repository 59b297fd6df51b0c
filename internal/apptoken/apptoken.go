// Package apptoken is the use case at the heart of the action and the CLI:
// from a [Request] in plain values, it signs the app's JWT, finds the
// installation, mints an installation access token scoped as asked, and
// revokes tokens. It knows neither the runner nor flags: each front end
// translates its own words into a Request and renders the results and the
// errors' hints (see package hint) in its own words.
//
// Every error [Mint] and [Revoke] return carries its next step, chosen in
// one place ([explain]) from the class of the failure.
package apptoken

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Step deadlines: they bound every retry and rate-limit wait, so that a
// hung GitHub ends in an error rather than a hung job.
const (
	// mintDeadline bounds a whole mint, or any other call as the app.
	mintDeadline = 3 * time.Minute
	// RevokeDeadline bounds a revocation.
	RevokeDeadline = time.Minute
)

// cancelGrace is how long a token request already sent may still finish
// after the caller is cancelled: GitHub may have minted the token, which
// must then be revoked rather than left valid for an hour. The runner
// sends SIGINT, SIGTERM 7.5 s later and SIGKILL 2.5 s after that; the
// signal context keeps catching SIGTERM, so the grace and the revocation
// after it fit in the 10 s before SIGKILL.
const cancelGrace = 6500 * time.Millisecond

// cancelRevokeDeadline bounds the revocation of a token that arrived after
// the caller was cancelled.
const cancelRevokeDeadline = 2500 * time.Millisecond

// Request is what a front end asks for, in plain values.
type Request struct {
	Issuer string // the app's client ID, or its app ID
	Key    Key    // the app's key: a private key, or a key in a KMS
	APIURL string // GitHub's REST API, no trailing slash

	// ServerURL is GitHub's web address, for the bot's e-mail address and
	// install links.
	ServerURL string

	// The scope: as the official action, with neither an owner nor
	// repositories, the current repository; with an owner only, all of
	// the owner's installation; with repositories, the installation of
	// the first, scoped to all of them. An installation ID or an
	// enterprise chooses the installation directly.
	Owner             string
	RepoOwner         string // the owner of Repositories
	Repositories      []string
	RepositoryIDs     []int64
	InstallationID    int64
	Enterprise        string
	CurrentRepository string // "owner/name"

	// Permissions narrows the token; nil means all of the installation's.
	Permissions map[string]string
	// GitUser asks for the app's bot identity for commits.
	GitUser bool
}

// Key is the app's key, in plain values: its private key (PEM), or the
// URI of a key in a KMS or Vault with the identity inputs of its provider.
// Exactly one of PEM and URI is set; the core chooses the signer from
// them, once (see [Options.Getenv] and [Options.Mask]).
type Key struct {
	PEM string // the private key as given; appjwt.ParseKey forgives pasted-key damage
	URI string // a key's URI, in one of the forms of kms.Forms
	// Inputs are the identity inputs of URI's provider, by input name
	// as its spec in kms.Providers names them.
	Inputs map[string]string
}

// Result is a minted token and what GitHub said about it.
type Result struct {
	Installation githubapi.Installation
	Token        githubapi.Token
	// GitUserName and GitUserEmail are the bot's identity for commits,
	// when the request asked for it.
	GitUserName, GitUserEmail string
}

// Options are the outside world of the use case; every field has a usable
// zero value. Front ends set the callbacks to speak in their own way.
type Options struct {
	HTTP      *http.Client // nil: Go's default transport, proxies from the environment
	UserAgent string
	Now       func() time.Time                                 // nil: time.Now
	Sleep     func(ctx context.Context, d time.Duration) error // nil: a real timer

	// RequestTimeout and BaseBackoff tune the API client; 0 means its
	// defaults. Tests shorten them.
	RequestTimeout time.Duration
	BaseBackoff    time.Duration

	// MintDeadline and RevokeDeadline replace the production deadlines
	// when set.
	MintDeadline, RevokeDeadline time.Duration

	// Debugf gets one line per request; OnSkew is told when GitHub's
	// clock is adopted for signing.
	Debugf func(format string, args ...any)
	OnSkew func(offset time.Duration)
	// OnToken, if set, gets each new token before anything else sees it.
	OnToken func(token string)
	// OnWait, if set, is told of every wait before a retry: rate limits,
	// backoff after a server error or a network failure.
	OnWait func(w githubapi.Wait)

	// Getenv is the step's environment, which a KMS provider reads for
	// ambient credentials, endpoint overrides and the job's OIDC token
	// request; nil: empty.
	Getenv func(string) string
	// Mask, if set, is called with every secret identity input and every
	// credential a KMS provider obtains, before anything else sees it.
	Mask func(secret string)
}

// WithCACertificates returns o with an HTTP client that trusts the
// certificates in pem (PEM text) besides the system's roots, for a GitHub
// Enterprise Server behind a private certificate authority. An empty pem,
// or an o whose HTTP client is already set, leaves o as it is.
func (o Options) WithCACertificates(pem string) (Options, error) {
	if pem == "" || o.HTTP != nil {
		return o, nil
	}
	hc, err := githubapi.NewHTTPClient(pem)
	if err != nil {
		return o, hint.New(fmt.Errorf("ca-certificates: %w", err), "pass the PEM text of the CA certificates in {ca-certificates}")
	}
	o.HTTP = hc
	return o, nil
}

// Time returns the time by o's clock: o.Now, or the system's if it is
// nil.
func (o Options) Time() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) mintDeadline() time.Duration {
	if o.MintDeadline > 0 {
		return o.MintDeadline
	}
	return mintDeadline
}

func (o Options) revokeDeadline() time.Duration {
	if o.RevokeDeadline > 0 {
		return o.RevokeDeadline
	}
	return RevokeDeadline
}

// client returns an API client for apiURL that signs app JWTs with k;
// k may be nil for calls made with a token.
func (o Options) client(apiURL string, k *appKey) *githubapi.Client {
	c := &githubapi.Client{
		BaseURL:        apiURL,
		HTTP:           o.HTTP,
		UserAgent:      o.UserAgent,
		Now:            o.Now,
		Sleep:          o.Sleep,
		RequestTimeout: o.RequestTimeout,
		BaseBackoff:    o.BaseBackoff,
		Debugf:         o.Debugf,
		OnSkew:         o.OnSkew,
		OnWait:         o.OnWait,
	}
	if k != nil {
		c.Sign = k.sign
	}
	return c
}

// AccountName is the installation's account, for messages.
func AccountName(inst githubapi.Installation) string {
	if inst.Account == "" {
		return "the installation's account"
	}
	return inst.Account
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	host, _, _ := strings.Cut(u, "/")
	return host
}
