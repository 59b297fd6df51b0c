package apptoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/transport"
)

// This file is the one place that classifies failures and picks the next
// step for each class, in one vocabulary whoever was asked: GitHub, a KMS
// provider or the runner's OIDC token service. [explainCall] is the one
// entry; advice fits the cause: "re-run" only for what is transient.

// Hints shared by several classes.
const (
	nextTransient = "GitHub did not answer in time or answered with a server error; re-run the job, and check https://www.githubstatus.com if it persists"
	nextCancelled = "the job was cancelled; nothing to change"
)

// explain adds the next step that fits err's class, for failures that are
// not particular to one request (see [explainCall]).
func explain(err error) error {
	return explainCall(err, "", nil)
}

// explainCall is the one classification of a failed call to GitHub. A key
// that could not sign is explained as such ([explainSign]), with no
// GitHub wording. Otherwise err is wrapped in what the call was for (what,
// unless ""), GitHub's answer goes to answer, which explains what is
// particular to this kind of call or returns nil, and the rest gets the
// next step its class calls for: rate limits, no answer, cancellation,
// GitHub's server errors, an IP allow list. Other errors come back as
// they are.
func explainCall(err error, what string, answer func(err error, apiErr *githubapi.Error) error) error {
	if se, ok := errors.AsType[*SignError](err); ok {
		return explainSign(se)
	}
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	if apiErr, ok := errors.AsType[*githubapi.Error](err); ok && answer != nil {
		if explained := answer(err, apiErr); explained != nil {
			return explained
		}
	}
	if hint.Next(err) != "" {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return hint.New(err, nextCancelled)
	}
	if rl, ok := errors.AsType[*githubapi.RateLimitError](err); ok {
		what := "GitHub's rate limit for the app"
		if rl.Secondary {
			what = "GitHub's secondary rate limit (too many requests at once, often many jobs starting together)"
		}
		return hint.New(err, fmt.Sprintf("%s asks to wait %s, longer than the step allows; re-run the job after that, and stagger jobs that mint tokens at the same moment (for example with a matrix's max-parallel)",
			what, rl.Wait.Round(time.Second)))
	}
	if te, ok := errors.AsType[*transport.Error](err); ok {
		return hint.New(err, transportHint(te, githubEndpoint))
	}
	apiErr, isAPI := errors.AsType[*githubapi.Error](err)
	switch {
	case isAPI && apiErr.IPAllowList():
		// GitHub's words, as quoted in databricks/cli#2702: "Although you
		// appear to have the correct authorization credentials, the `ORG`
		// organization has an IP allow list enabled, and your IP address is
		// not permitted to access this resource."
		return hint.New(err, "the organization's IP allow list refuses this runner's address: GitHub-hosted runners' addresses change, so use a self-hosted runner or larger runner with a static address the list allows, "+
			"or have an owner enable \"Allow access by GitHub Apps\" in the organization's IP allow list settings, which admits the app's own listed addresses")
	case isAPI && apiErr.Status >= 500:
		// A rate limit is never here: the client returns every 429, and
		// every 403 that is one, as the *RateLimitError handled above.
		return hint.New(err, nextTransient)
	case isAPI:
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return hint.New(err, nextTransient)
	}
	return hint.New(err, "GitHub could not be reached; check the runner's network and {github-api-url}, and re-run the job if the network was down")
}

// githubEndpoint is where GitHub's API is set, for advice.
const githubEndpoint = "{github-api-url}"

// transportHint is the next step after a request that got no answer, to
// GitHub (te.Service "") or another service, whose address is set where
// endpoint says (see provider.Spec), or by the runner when endpoint is "".
func transportHint(te *transport.Error, endpoint string) string {
	var (
		host  = te.Host // the host asked, as advice names it
		where string    // ", where Vault was asked", after the host
		ca    = "for GitHub Enterprise Server with a private certificate authority"
	)
	if te.Service != "" {
		host, where = fmt.Sprintf("%s (%s)", te.Host, te.Service), ", where "+te.Service+" was asked"
		ca = "if a proxy inspects TLS, or the service has a private certificate authority"
	}
	switch te.Kind {
	case transport.Proxy:
		return fmt.Sprintf("check the proxy %s set in HTTPS_PROXY or HTTP_PROXY: it could not be reached or refused to connect to %s; add the host to NO_PROXY if it should be reached directly", te.Proxy, te.Host)
	case transport.Refused:
		if te.Proxy != "" {
			return fmt.Sprintf("check the proxy %s (HTTPS_PROXY, HTTP_PROXY, NO_PROXY): it refused the connection to %s", te.Proxy, te.Host)
		}
	case transport.TLS:
		return fmt.Sprintf("the certificate of %s is not trusted by the action's image: %s, pass its CA certificate (PEM) in {ca-certificates}", host, ca)
	case transport.Timeout:
		if te.Service == "" {
			return "GitHub did not answer in time; re-run the job, and check https://www.githubstatus.com (or your server) if it persists"
		}
		return fmt.Sprintf("re-run the job; %s at %s did not answer in time", te.Service, te.Host)
	case transport.Canceled:
		return nextCancelled
	}
	if endpoint == "" {
		// Nothing to check that the job sets: the runner names the service.
		return fmt.Sprintf("re-run the job; %s at %s failed or could not be reached", te.Service, te.Host)
	}
	switch te.Kind {
	case transport.DNS:
		if te.Service == "" {
			return fmt.Sprintf("check %s: the host %s does not resolve; for GitHub Enterprise Server use https://HOST/api/v3 with the server's name, or leave it unset for github.com", endpoint, te.Host)
		}
		return fmt.Sprintf("check %s: the host %s%s, does not resolve", endpoint, te.Host, where)
	case transport.Refused:
		return fmt.Sprintf("check %s: nothing accepts connections at %s%s; check the host and port, and that the runner can reach it", endpoint, te.Host, where)
	}
	return fmt.Sprintf("the connection to %s failed; check the runner's network and %s, and re-run the job if the network was down", host, endpoint)
}

// explainLookup explains a failed installation lookup.
func explainLookup(ctx context.Context, c *githubapi.Client, r Request, l githubapi.Lookup, err error) error {
	return explainCall(err, "find the app installation for "+lookupTarget(l), func(err error, apiErr *githubapi.Error) error {
		return explainLookupAnswer(ctx, c, r, l, err, apiErr)
	})
}

// explainLookupAnswer explains GitHub's answer apiErr to an installation
// lookup, or returns nil.
func explainLookupAnswer(ctx context.Context, c *githubapi.Client, r Request, l githubapi.Lookup, err error, apiErr *githubapi.Error) error {
	switch apiErr.Status {
	case http.StatusNotFound:
		if strings.EqualFold(apiErr.Message, "Integration not found") {
			// GitHub's answer to a JWT whose issuer is a number but no app's ID.
			return hint.New(fmt.Errorf("%w: GitHub knows no app %q", err, r.Issuer),
				"check {client-id}: set it to the client ID (like Iv23li…) shown on the GitHub App's settings page (General); {app-id}, if used instead, must be the app ID shown there")
		}
		next := fmt.Sprintf("install the app on %s and give it access to the repositories the token needs", lookupOwner(l))
		app, aerr := c.GetApp(ctx)
		appErr, isAppErr := errors.AsType[*githubapi.Error](aerr)
		switch {
		case isAppErr && appErr.Status == http.StatusNotFound:
			// GitHub's API never answers 404 to GET /app with a JWT it
			// accepted: the base URL is not GitHub's API.
			return hint.New(err, fmt.Sprintf("check {github-api-url}: %s answered 404 to GET /app too, so it is not the GitHub REST API; "+
				"use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server, or leave it unset", r.APIURL))
		case l.ID != 0:
			next = "check {installation-id}: list the app's installations with `app-token installations`"
		case aerr == nil:
			next = fmt.Sprintf("install the app %q on %s (%s/installations/new)", app.Slug, lookupOwner(l), appURL(r, app))
			if l.Repo != "" {
				next += fmt.Sprintf(", or if it is installed with selected repositories, add %s under Repository access; also check that the repository exists", l.Repo)
			}
		}
		return hint.New(fmt.Errorf("%w: %s", err, notFoundText(l)), next)
	case http.StatusUnauthorized:
		return hint.New(err, jwtHint(r, apiErr))
	}
	return nil
}

// notFoundText says what GitHub's 404 to lookup l means.
func notFoundText(l githubapi.Lookup) string {
	switch {
	case l.Repo != "":
		return "the app is not installed there, or the repository does not exist or is not selected for the installation"
	case l.Enterprise != "":
		return "no installation of the app was found on that enterprise"
	case l.ID != 0:
		return "the app has no installation with that id"
	}
	return "the app is not installed on that account"
}

// explainToken explains a failed token request.
func explainToken(r Request, inst githubapi.Installation, err error) error {
	what := fmt.Sprintf("create an installation token for installation %d", inst.ID)
	return explainCall(err, what, func(err error, apiErr *githubapi.Error) error {
		return explainTokenAnswer(r, inst, err, apiErr)
	})
}

// explainTokenAnswer explains GitHub's answer apiErr to a token request,
// or returns nil.
func explainTokenAnswer(r Request, inst githubapi.Installation, err error, apiErr *githubapi.Error) error {
	msg := strings.ToLower(apiErr.Message)
	switch {
	case apiErr.Status == http.StatusUnauthorized:
		return hint.New(err, jwtHint(r, apiErr))
	case apiErr.Status == http.StatusForbidden && strings.Contains(msg, "suspend"):
		return hint.New(err, "an owner of "+AccountName(inst)+" must unsuspend the installation (Settings > GitHub Apps > Configure)")
	case apiErr.Status == http.StatusUnprocessableEntity && strings.Contains(msg, "too many repositories"):
		// Checked before "permission": GitHub's message suggests requesting
		// fewer permissions too, but the repositories are the cause.
		return hint.New(err, "scope the token to fewer repositories in {repositories} and {repository-ids}, or leave both unset for all of the installation's repositories")
	case apiErr.Status == http.StatusUnprocessableEntity && strings.Contains(msg, "permission"):
		return hint.New(err, "request only permissions the installation grants in {permission-*}, or add them in the app's settings and have "+AccountName(inst)+" accept them")
	case apiErr.Status == http.StatusUnprocessableEntity && strings.Contains(msg, "repositor"):
		return hint.New(err, fmt.Sprintf("every repository in {repositories} must exist under %s and be selected for the installation (Settings > GitHub Apps > Configure > Repository access)", AccountName(inst)))
	}
	return nil
}

// explainAppCall explains a failed call made as the app, for what, that
// is not a token's lookup or mint, such as listing the installations.
func explainAppCall(r Request, what string, err error) error {
	return explainCall(err, what, func(err error, apiErr *githubapi.Error) error {
		if apiErr.Status == http.StatusUnauthorized {
			return hint.New(err, jwtHint(r, apiErr))
		}
		return nil
	})
}

// refusalExplainer is a KMS signer that can tell, after GitHub refused a
// JWT it signed, what about its key may be the cause, such as a Cloud KMS
// key version whose algorithm is not RS256. It reads the key only then,
// so that a run that succeeds needs no permission but to sign.
type refusalExplainer interface {
	// ExplainRefusal returns the next step, or "" if it can tell none.
	ExplainRefusal(ctx context.Context) string
}

// explainRefusal gives GitHub's 401 to a JWT that k signed the next step
// that k's signer finds, if it is a [refusalExplainer] and finds one. A
// 401 that names a claim is about the JWT's content, not its signature,
// and keeps its hint.
func (k *appKey) explainRefusal(ctx context.Context, err error) error {
	apiErr, ok := errors.AsType[*githubapi.Error](err)
	if !ok || apiErr.Status != http.StatusUnauthorized || strings.Contains(apiErr.Message, "claim") {
		return err
	}
	signer := k.jwts.signer
	if r, ok := signer.(appjwt.RemoteSigner); ok {
		// kms.New wraps every provider's signer in its checks.
		signer = r.Signer
	}
	x, ok := signer.(refusalExplainer)
	if !ok {
		return err
	}
	if next := x.ExplainRefusal(ctx); next != "" {
		return hint.New(err, next)
	}
	return err
}

// jwtHint explains a 401 to an app JWT.
func jwtHint(r Request, apiErr *githubapi.Error) string {
	if strings.Contains(apiErr.Message, "'Issuer' claim") {
		return "check {client-id} (or {app-id}): GitHub knows no app by that ID; use the client ID (or the numeric app ID) shown on the GitHub App's settings page (General)"
	}
	return fmt.Sprintf("the private key does not belong to the app %q, or the runner's clock is off: "+
		"pass {client-id} and {private-key} of the same app (the app's settings > General), and generate a new key if this one was deleted", r.Issuer)
}

func lookupTarget(l githubapi.Lookup) string {
	switch {
	case l.ID != 0:
		return "installation id " + strconv.FormatInt(l.ID, 10)
	case l.Enterprise != "":
		return "enterprise " + l.Enterprise
	case l.Owner != "":
		return l.Owner
	}
	return l.Repo
}

func lookupOwner(l githubapi.Lookup) string {
	if l.Repo != "" {
		owner, _, _ := strings.Cut(l.Repo, "/")
		return owner
	}
	return lookupTarget(l)
}

func appURL(r Request, app githubapi.App) string {
	if app.HTMLURL != "" {
		return app.HTMLURL
	}
	return strings.TrimSuffix(r.ServerURL, "/") + "/apps/" + app.Slug
}

// explainSign explains a failure to sign the app's JWT: the one place
// that classifies what a KMS provider failed with, for every provider.
// A request to the provider that got no answer, or a transient answer
// (429, 5xx, a throttling code), gets its next step here, naming the
// service asked and its host, never GitHub; a refusal in the provider's
// own words keeps the next step the provider gave it. The error is err's
// *SignError alone: no request to GitHub was sent with the JWT, so no
// GitHub request's wording wraps it.
func explainSign(err error) error {
	se, ok := errors.AsType[*SignError](err)
	if !ok {
		return err // nil, or not a failure to sign
	}
	var (
		te, isTransport = errors.AsType[*transport.Error](se)
		ke, isAnswer    = errors.AsType[*kmshttp.Error](se)
	)
	switch {
	case se.p == nil:
		return se
	case errors.Is(se, context.Canceled):
		return hint.New(se, nextCancelled)
	case isTransport:
		endpoint := se.p.Endpoint
		if te.Service == oidc.Service {
			endpoint = "" // the runner sets where its token service is
		}
		return hint.New(se, transportHint(te, endpoint))
	case isAnswer && ke.Transient():
		return hint.New(se, fmt.Sprintf("re-run the job; %s was failing or throttling requests (%d), and still was after retries", ke.Provider, ke.Status))
	case errors.Is(se, context.DeadlineExceeded):
		return hint.New(se, fmt.Sprintf("re-run the job; %s did not answer in time", se.Provider))
	}
	return se
}
