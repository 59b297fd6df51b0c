// Package githubapitest emulates the part of GitHub's REST API that a GitHub
// App uses to find its installations and mint installation access tokens.
//
// A [Server] is a real HTTP server on the loopback interface. It knows one
// GitHub App and its installations, verifies the app's JSON Web Tokens the way
// GitHub does (RS256 signature, issuer, issued-at and expiry rules), issues
// installation tokens that really authenticate later requests, and answers
// with GitHub's status codes, messages, headers and JSON shapes. Tests use
// [Server.InjectFault] to make it slow, broken or rude, [Server.SetClockOffset]
// to skew its clock, and [Server.Requests], [Server.JWTs] and [Server.Tokens]
// to see what a client did.
//
// Tests start a server with [Start]; the demo command, which is no test,
// uses [NewServer] and [Server.Close].
package githubapitest

import (
	"crypto/rsa"
	"net/http"
	"time"
)

// Config describes the world a [Server] emulates.
type Config struct {
	// BasePath is "" (api.github.com) or a prefix such as "/api/v3"
	// (GitHub Enterprise Server). Requests outside it get 404.
	BasePath string
	// App is the one GitHub App the server knows.
	App App
	// Installations are the app's installations, in creation order.
	Installations []Installation
	// Users are extra users known to GET /users/{username}. The app's bot
	// user and the installations' user and organization accounts are known
	// without being listed.
	Users []Account
	// Renamed maps "old-owner/old-name" to "owner/name"; requests for
	// /repos/old-owner/old-name/... are redirected the way GitHub redirects
	// renamed repositories.
	Renamed map[string]string
	// TokenTTL is the lifetime of installation tokens; 0 means one hour,
	// GitHub's ("The installation access token will expire after 1 hour",
	// docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app).
	// Tests of long jobs shorten it to seconds.
	TokenTTL time.Duration
	// Now is the server's clock before any [Server.SetClockOffset];
	// nil means time.Now.
	Now func() time.Time
	// LongTokens makes the server issue tokens in GitHub's stateless format,
	// "ghs_<app id>_<JWT>", about 520 characters long, instead of the classic
	// 40-character "ghs_..." tokens.
	LongTokens bool
}

// App is a GitHub App registration.
type App struct {
	ID       int64
	ClientID string
	Slug     string
	Name     string
	// Key is the app's private key; nil makes [NewServer] generate a
	// 2048-bit key.
	Key *rsa.PrivateKey
}

// Account is a GitHub user, organization, enterprise or bot.
type Account struct {
	// Login is the user or organization login, or the enterprise slug.
	Login string
	// ID is the account's database ID; 0 makes the server pick one.
	ID int64
	// Type is "User", "Organization", "Enterprise" or "Bot"; "" means "User".
	Type string
}

// Installation is an installation of the app on an account.
type Installation struct {
	ID      int64
	Account Account
	// RepositorySelection is "all" or "selected"; "" means "all".
	RepositorySelection string
	// Repositories are the repositories the installation can reach: every
	// repository of the account for "all", the chosen ones for "selected".
	// All of them are owned by Account.
	Repositories []Repository
	// Permissions maps permission names to "read", "write" or "admin".
	Permissions map[string]string
	// Suspended installations are still found, but cannot mint tokens.
	Suspended bool
}

// Repository is a repository owned by an installation's account.
type Repository struct {
	// ID is the repository's database ID; 0 makes the server pick one.
	ID   int64
	Name string
}

// Fault is a misbehaviour injected with [Server.InjectFault].
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the URL path after BasePath exactly, or as a prefix when
	// it ends in "*"; "" matches any path.
	Path string
	// Count is how many of the next matching requests get the fault:
	// 0 means 1 and -1 means every one.
	Count int
	// Status, Header and Body are the answer. Status 0 answers normally
	// (after Delay). Header values replace the server's own.
	Status int
	Header http.Header
	Body   string
	// Delay is waited before answering. The wait ends early, without an
	// answer, when the client goes away or the server closes.
	Delay time.Duration
	// Arrived, if set, is called as each request that gets the fault
	// arrives, before Delay, on the server's goroutine: a test that must
	// act while a request is in flight (cancel its client, say) waits for
	// this event rather than for a time.
	Arrived func()
	// Lost lets the server do what the request asks (mint, revoke), then
	// closes the connection as Reset does: the answer is lost on its way
	// back, as when the client's timeout ends the wait for it. Status,
	// Header and Body are ignored.
	Lost bool
	// Reset closes the TCP connection without an answer, with a TCP RST
	// where the platform allows it. Go's http.Transport silently retries an
	// idempotent request (GET, or any request with an Idempotency-Key) once
	// when a reused connection breaks this way; the retry is a new request
	// and counts against Count like any other.
	Reset bool
}

// Request is a request the server received.
type Request struct {
	Method string
	// Path is the URL path with BasePath removed; a request outside
	// BasePath keeps its whole path.
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Status is the status answered, 0 when no answer was sent (a Reset
	// fault, or a client that gave up during a Delay).
	Status int
	// Time is when the request arrived, by the server's clock.
	Time time.Time
}

// IssuedToken is an installation token the server issued.
type IssuedToken struct {
	Value          string
	InstallationID int64
	IssuedAt       time.Time // by the server's clock
	ExpiresAt      time.Time
	Revoked        bool
	// Repositories are the names the token is limited to; nil when it
	// reaches all of the installation's repositories.
	Repositories []string
	Permissions  map[string]string
}

// DefaultConfig returns the demo world: the app "demo-app" (ID 123456,
// client ID "Iv23liDemo0000000000") installed on the organization "octo-org"
// for the selected repositories "app", "infra" and "docs", and on the user
// "octocat" for all of its repositories. App.Key is nil, so [NewServer]
// generates a new key for every server.
func DefaultConfig() Config {
	return Config{
		App: App{
			ID:       123456,
			ClientID: "Iv23liDemo0000000000",
			Slug:     "demo-app",
			Name:     "Demo App",
		},
		Installations: []Installation{
			{
				ID:                  42000001,
				Account:             Account{Login: "octo-org", ID: 9919001, Type: "Organization"},
				RepositorySelection: "selected",
				Repositories: []Repository{
					{ID: 700000101, Name: "app"},
					{ID: 700000102, Name: "infra"},
					{ID: 700000103, Name: "docs"},
				},
				Permissions: map[string]string{
					"actions":       "read",
					"contents":      "write",
					"issues":        "write",
					"metadata":      "read",
					"pull_requests": "write",
				},
			},
			{
				ID:                  42000002,
				Account:             Account{Login: "octocat", ID: 583231, Type: "User"},
				RepositorySelection: "all",
				Repositories: []Repository{
					{ID: 1296269, Name: "Hello-World"},
					{ID: 1300192, Name: "Spoon-Knife"},
					{ID: 700000201, Name: "dotfiles"},
				},
				Permissions: map[string]string{
					"contents": "read",
					"issues":   "write",
					"metadata": "read",
				},
			},
		},
		Users: []Account{
			{Login: "monalisa", ID: 2, Type: "User"},
		},
	}
}
