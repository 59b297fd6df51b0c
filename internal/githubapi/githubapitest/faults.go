package githubapitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GitHub's words for the faults below.
const (
	// msgSecondaryRateLimit is GitHub's secondary rate limit message, as
	// quoted in KnpLabs/php-github-api#1072, hub4j/github-api#2267 and
	// EnricoMi/publish-unit-test-result-action#419, and by GitHub's CLI.
	msgSecondaryRateLimit = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:000000:0000000:00000000."
	// Assumed: the documentation_url of a secondary rate limit answer.
	docSecondaryRateLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	// msgIPAllowList is GitHub's answer to a request from outside an
	// organization's IP allow list, as quoted in databricks/cli#2702 (per
	// the issue that asked for it; the thread itself was not at hand).
	msgIPAllowList = "Although you appear to have the correct authorization credentials, the `%s` organization has an IP allow list enabled, and your IP address is not permitted to access this resource."
)

// SecondaryRateLimit returns a fault that answers the next count requests
// matching method and path (as in [Fault]) with GitHub's secondary rate
// limit as GitHub often sends it: 403, requests remaining in the primary
// limit, and no Retry-After (KnpLabs/php-github-api#1072,
// hub4j/github-api#2267, EnricoMi/publish-unit-test-result-action#419).
func SecondaryRateLimit(method, path string, count int) Fault {
	return Fault{
		Method: method,
		Path:   path,
		Count:  count,
		Status: http.StatusForbidden,
		Header: http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"4987"},
			"X-Ratelimit-Used":      {"13"},
			"X-Ratelimit-Resource":  {"core"},
		},
		Body: errorJSON(http.StatusForbidden, msgSecondaryRateLimit, docSecondaryRateLimit),
	}
}

// TooManyRepositories returns a fault that answers the next request to
// mint a token for installation id with GitHub's 422 for a request over
// the installation's repository limit. Assumed: the message beyond its
// first words.
func TooManyRepositories(installationID int64) Fault {
	return Fault{
		Method: http.MethodPost,
		Path:   "/app/installations/" + strconv.FormatInt(installationID, 10) + "/access_tokens",
		Status: http.StatusUnprocessableEntity,
		Body:   errorJSON(http.StatusUnprocessableEntity, msgTooManyRepos, docCreateToken),
	}
}

// IPAllowList returns a fault that refuses every request to mint a token
// for org's installation with GitHub's 403 for an IP address outside the
// organization's IP allow list. Assumed: that GitHub refuses the minting
// itself, rather than only the token's later use. An org without an
// installation is reported, and the fault matches nothing.
func (s *Server) IPAllowList(org string) Fault {
	id := int64(0)
	for _, in := range s.cfg.Installations {
		if in.Account.Type == "Organization" && strings.EqualFold(in.Account.Login, org) {
			id = in.ID
		}
	}
	if id == 0 {
		s.errorf("githubapitest: IPAllowList: the app is not installed on an organization %q", org)
	}
	return Fault{
		Method: http.MethodPost,
		Path:   "/app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens",
		Count:  -1,
		Status: http.StatusForbidden,
		Body:   errorJSON(http.StatusForbidden, fmt.Sprintf(msgIPAllowList, org), docCreateToken),
	}
}

// SetTokenLag makes the server refuse each installation token with 401
// "Bad credentials" for d after it was minted, by the server's clock, on
// every request but DELETE /installation/token, as GitHub may for a few
// seconds while the new token reaches its replicas (octokit/auth-app.js#65
// and #589). 0 turns the lag off.
func (s *Server) SetTokenLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
}

// lagging reports whether cred is a token minted less than the lag ago.
func (s *Server) lagging(cred string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byValue[cred]
	return t != nil && s.lag > 0 && now.Before(t.IssuedAt.Add(s.lag))
}

// errorJSON is GitHub's error body.
func errorJSON(status int, message, doc string) string {
	b, _ := json.Marshal(errorBody{Message: message, DocumentationURL: doc, Status: strconv.Itoa(status)})
	return string(b)
}
