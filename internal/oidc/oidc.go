// Package oidc fetches the job's GitHub Actions OIDC token, with which the
// action proves who it runs for (repository, ref, environment) to a cloud
// or to Vault, in exchange for short-lived credentials. The token is a
// secret; its subject and audience are not, and errors show them.
package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// The runner passes these to a container action when the job has
// permissions: id-token: write: actions/runner's ContainerActionHandler
// sets ACTIONS_ID_TOKEN_REQUEST_URL (the system connection's
// GenerateIdTokenUrl, present only then) and ACTIONS_ID_TOKEN_REQUEST_TOKEN
// in the environment it hands to docker run.
const (
	requestURLEnv   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	requestTokenEnv = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// maxBody bounds the answer read.
const maxBody = 64 << 10

// Fetcher fetches the job's OIDC token.
type Fetcher struct {
	HTTP   *http.Client        // nil: http.DefaultClient
	Getenv func(string) string // the step's environment
	// Mask, if set, is called with each token before anything else sees
	// it, so that the action can mask it in the log.
	Mask func(secret string)
}

// ErrUnavailable is wrapped by Fetch's error when the job did not ask for
// an OIDC token (no id-token: write permission).
var ErrUnavailable = errors.New("the job's OIDC token is not available")

// Fetch returns the job's OIDC token for audience. Its errors carry a next
// step and never the token.
func (f Fetcher) Fetch(ctx context.Context, audience string) (string, error) {
	getenv := f.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	reqURL, reqToken := getenv(requestURLEnv), getenv(requestTokenEnv)
	if reqURL == "" || reqToken == "" {
		return "", hint.New(fmt.Errorf("get the job's OIDC token: %w: %s is not set", ErrUnavailable, requestURLEnv),
			"give the job permissions: id-token: write (in the workflow, under the job or at the top), so that the runner can issue an OIDC token; "+
				"workflows triggered from forks get none")
	}
	u, err := url.Parse(reqURL)
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: %s is not a URL", requestURLEnv)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	req.Header.Set("Accept", "application/json")
	hc := f.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL holds no secret, but Go's error repeats it with the query.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("get the job's OIDC token from %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", hint.New(fmt.Errorf("get the job's OIDC token: %s answered %d", u.Host, resp.StatusCode),
			"re-run the job; the runner's token service refused or failed")
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Value == "" {
		return "", fmt.Errorf("get the job's OIDC token: the answer holds no token")
	}
	if f.Mask != nil {
		f.Mask(out.Value)
	}
	return out.Value, nil
}

// Describe returns the subject and audience of token, without verifying
// it, for error messages: "sub repo:octo-org/app:ref:refs/heads/main, aud
// sts.amazonaws.com". It returns "" for a token it cannot read.
func Describe(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Sub == "" {
		return ""
	}
	aud := ""
	switch a := c.Aud.(type) {
	case string:
		aud = a
	case []any:
		var s []string
		for _, v := range a {
			if x, ok := v.(string); ok {
				s = append(s, x)
			}
		}
		aud = strings.Join(s, ",")
	}
	return fmt.Sprintf("sub %s, aud %s", oneLine(c.Sub), oneLine(aud))
}

// oneLine replaces control characters, which could break a log line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
