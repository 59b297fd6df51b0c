package githubapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Lookup says which installation of the app to find. Exactly one field must
// be set.
type Lookup struct {
	Repo       string // "owner/name": the installation that can access the repository
	Owner      string // a user or organization login
	Enterprise string // an enterprise slug
	ID         int64  // an installation id
}

// Installation is an installation of the app on an account.
type Installation struct {
	ID                  int64
	AppID               int64
	AppSlug             string
	Account             string // the account's login (an enterprise's slug)
	AccountType         string // "User", "Organization", "Enterprise"
	RepositorySelection string // "all" | "selected"
	Permissions         map[string]string
	Suspended           bool
}

// TokenRequest narrows an installation token. Empty fields leave the
// token with all of the installation's repositories or permissions.
type TokenRequest struct {
	Repositories  []string          // bare repository names
	RepositoryIDs []int64           // repository ids
	Permissions   map[string]string // e.g. "contents" -> "read"
}

// Token is an installation access token.
type Token struct {
	Value               string
	ExpiresAt           time.Time
	Permissions         map[string]string
	RepositorySelection string   // "all" | "selected"
	Repositories        []string // bare names; empty unless GitHub lists them
}

// App is the GitHub App the client authenticates as.
type App struct {
	ID                  int64
	Slug, Name, HTMLURL string
}

// User is a GitHub user, such as an app's bot user.
type User struct {
	ID    int64
	Login string
}

// FindInstallation returns the app's installation for l, authenticating
// as the app. GitHub answers 404 (a [*Error]) when the app is not installed
// there.
func (c *Client) FindInstallation(ctx context.Context, l Lookup) (Installation, error) {
	path, err := l.path()
	if err != nil {
		return Installation{}, err
	}
	r := &request{method: http.MethodGet, path: path}
	var in installationJSON
	if _, err := c.doJSON(ctx, r, &in); err != nil {
		return Installation{}, err
	}
	inst, err := in.installation()
	if err != nil {
		return Installation{}, r.wrap(err)
	}
	return inst, nil
}

// path returns the endpoint for l.
func (l Lookup) path() (string, error) {
	set := 0
	for _, ok := range []bool{l.Repo != "", l.Owner != "", l.Enterprise != "", l.ID != 0} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return "", errors.New("installation lookup needs exactly one of repository, owner, enterprise and id")
	}
	switch {
	case l.Repo != "":
		owner, name, ok := strings.Cut(l.Repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return "", fmt.Errorf("invalid repository %q: want owner/name", l.Repo)
		}
		return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/installation", nil
	case l.Owner != "":
		return "/users/" + url.PathEscape(l.Owner) + "/installation", nil
	case l.Enterprise != "":
		return "/enterprises/" + url.PathEscape(l.Enterprise) + "/installation", nil
	case l.ID < 0:
		return "", fmt.Errorf("invalid installation id %d", l.ID)
	}
	return "/app/installations/" + strconv.FormatInt(l.ID, 10), nil
}

// CreateToken mints an installation access token, authenticating as the
// app. GitHub answers 422 (a [*Error]) when tr asks for more than the
// installation grants.
func (c *Client) CreateToken(ctx context.Context, installationID int64, tr TokenRequest) (Token, error) {
	if installationID <= 0 {
		return Token{}, fmt.Errorf("invalid installation id %d", installationID)
	}
	body, err := json.Marshal(struct {
		Repositories  []string          `json:"repositories,omitempty"`
		RepositoryIDs []int64           `json:"repository_ids,omitempty"`
		Permissions   map[string]string `json:"permissions,omitempty"`
	}{tr.Repositories, tr.RepositoryIDs, tr.Permissions})
	if err != nil {
		return Token{}, fmt.Errorf("encode token request: %w", err)
	}
	r := &request{
		method: http.MethodPost,
		path:   "/app/installations/" + strconv.FormatInt(installationID, 10) + "/access_tokens",
		body:   body,
	}
	var out struct {
		Token               string            `json:"token"`
		ExpiresAt           string            `json:"expires_at"`
		Permissions         map[string]string `json:"permissions"`
		RepositorySelection string            `json:"repository_selection"`
		Repositories        []struct {
			Name string `json:"name"`
		} `json:"repositories"`
	}
	if _, err := c.doJSON(ctx, r, &out); err != nil {
		return Token{}, err
	}
	// fail wraps err for a response that does not check out. The messages
	// name fields, and quote a few values; should GitHub repeat the token
	// in one of those, it is blanked.
	fail := func(err error) (Token, error) {
		return Token{}, r.wrap(errors.New(blank(err.Error(), out.Token)))
	}
	t := Token{Value: out.Token, Permissions: out.Permissions, RepositorySelection: out.RepositorySelection}
	for _, repo := range out.Repositories {
		t.Repositories = append(t.Repositories, repo.Name)
	}
	fields := []string{"token", out.Token, "expires_at", out.ExpiresAt, "repository_selection", out.RepositorySelection}
	for _, name := range t.Repositories {
		fields = append(fields, "repository name", name)
	}
	if err := oneLine(fields...); err != nil {
		return fail(err)
	}
	if err := plainPermissions(out.Permissions); err != nil {
		return fail(err)
	}
	switch {
	case out.Token == "":
		return fail(errors.New("response has no token"))
	case out.ExpiresAt == "":
		return fail(errors.New("response has no expires_at"))
	}
	if t.ExpiresAt, err = time.Parse(time.RFC3339, out.ExpiresAt); err != nil {
		return fail(fmt.Errorf("invalid expires_at %q: want RFC 3339", out.ExpiresAt))
	}
	return t, nil
}

// RevokeToken revokes an installation access token, authenticating with
// the token itself. GitHub answers 401 (a [*Error]) when the token has
// expired or was revoked already; that is not retried. A 401 that follows
// an attempt that got no answer (a timeout, a reset connection) counts as
// success: that attempt most likely revoked the token, and the token is
// gone either way.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	if token == "" {
		return errors.New("no token to revoke")
	}
	r := &request{method: http.MethodDelete, path: "/installation/token", token: token}
	_, err := c.do(ctx, r)
	if apiErr, ok := errors.AsType[*Error](err); ok && apiErr.Status == http.StatusUnauthorized && r.unanswered {
		return nil
	}
	return err
}

// GetApp returns the app that the client authenticates as.
func (c *Client) GetApp(ctx context.Context) (App, error) {
	r := &request{method: http.MethodGet, path: "/app"}
	var out struct {
		ID      int64  `json:"id"`
		Slug    string `json:"slug"`
		Name    string `json:"name"`
		HTMLURL string `json:"html_url"`
	}
	if _, err := c.doJSON(ctx, r, &out); err != nil {
		return App{}, err
	}
	if err := oneLine("slug", out.Slug, "name", out.Name, "html_url", out.HTMLURL); err != nil {
		return App{}, r.wrap(err)
	}
	switch {
	case out.ID == 0:
		return App{}, r.wrap(errors.New("response has no app id"))
	case out.Slug == "":
		return App{}, r.wrap(errors.New("response has no app slug"))
	case !isSlug(out.Slug):
		return App{}, r.wrap(fmt.Errorf("app slug %q is not a GitHub App slug", out.Slug))
	}
	return App{ID: out.ID, Slug: out.Slug, Name: out.Name, HTMLURL: out.HTMLURL}, nil
}

// maxPages bounds ListInstallations, against a server that links in a
// circle.
const maxPages = 1000

// ListInstallations returns all of the app's installations, following
// GitHub's pagination, authenticating as the app.
func (c *Client) ListInstallations(ctx context.Context) ([]Installation, error) {
	base, err := c.baseURL()
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodGet, path: "/app/installations", query: "per_page=100"}
	var all []Installation
	for page := 1; ; page++ {
		var list []installationJSON
		header, err := c.doJSON(ctx, r, &list)
		if err != nil {
			return nil, err
		}
		for _, in := range list {
			inst, err := in.installation()
			if err != nil {
				return nil, r.wrap(err)
			}
			all = append(all, inst)
		}
		next := nextLink(header)
		if next == "" {
			return all, nil
		}
		if page == maxPages {
			return nil, r.wrap(fmt.Errorf("more than %d pages", maxPages))
		}
		path, query, err := relativeTo(base, next)
		if err != nil {
			return nil, r.wrap(err)
		}
		r = &request{method: http.MethodGet, path: path, query: query}
	}
}

// nextLink returns the rel="next" URL of a Link header, or "".
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for link := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for p := range strings.SplitSeq(params, ";") {
				if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); k == "rel" && strings.Trim(v, `"`) == "next" {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// relativeTo splits a pagination link into a path below base and a query.
// It refuses links elsewhere, which would get the app's JWT.
func relativeTo(base, link string) (path, query string, err error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	u, err := b.Parse(link)
	if err != nil {
		return "", "", fmt.Errorf("invalid pagination link: %w", err)
	}
	prefix := strings.TrimSuffix(b.EscapedPath(), "/")
	path = u.EscapedPath()
	if u.Scheme != b.Scheme || u.Host != b.Host || !strings.HasPrefix(path, prefix+"/") {
		return "", "", fmt.Errorf("pagination link outside %s refused", base)
	}
	return strings.TrimPrefix(path, prefix), u.RawQuery, nil
}

// GetUser returns the user login, authenticating with an installation
// token minted moments ago. Since GitHub may refuse such a token for a few
// seconds after minting (octokit/auth-app.js#65 and #589), a 401 or 403 is
// asked again for about 5 s before GetUser fails with the [*Error].
func (c *Client) GetUser(ctx context.Context, token, login string) (User, error) {
	if token == "" {
		return User{}, errors.New("no token to look up a user with")
	}
	if login == "" {
		return User{}, errors.New("empty user login")
	}
	r := &request{method: http.MethodGet, path: "/users/" + url.PathEscape(login), token: token, fresh: true}
	var out struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
	}
	if _, err := c.doJSON(ctx, r, &out); err != nil {
		return User{}, err
	}
	if err := oneLine("login", out.Login); err != nil {
		return User{}, r.wrap(err)
	}
	switch {
	case out.ID == 0:
		return User{}, r.wrap(errors.New("response has no user id"))
	case out.Login == "":
		return User{}, r.wrap(errors.New("response has no user login"))
	}
	return User{ID: out.ID, Login: out.Login}, nil
}

// installationJSON is GitHub's installation object.
type installationJSON struct {
	ID      int64  `json:"id"`
	AppID   int64  `json:"app_id"`
	AppSlug string `json:"app_slug"`
	Account *struct {
		Login string `json:"login"`
		Slug  string `json:"slug"` // enterprises have a slug, not a login
		Type  string `json:"type"`
	} `json:"account"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
	SuspendedAt         *string           `json:"suspended_at"`
	TargetType          string            `json:"target_type"`
}

// installation checks in and converts it.
func (in *installationJSON) installation() (Installation, error) {
	inst := Installation{
		ID:                  in.ID,
		AppID:               in.AppID,
		AppSlug:             in.AppSlug,
		AccountType:         in.TargetType,
		RepositorySelection: in.RepositorySelection,
		Permissions:         in.Permissions,
		Suspended:           in.SuspendedAt != nil,
	}
	if a := in.Account; a != nil {
		inst.Account = a.Login
		if inst.Account == "" {
			inst.Account = a.Slug
		}
		if a.Type != "" {
			inst.AccountType = a.Type
		}
	}
	if err := oneLine("app_slug", inst.AppSlug, "account login", inst.Account, "account type", inst.AccountType,
		"repository_selection", inst.RepositorySelection); err != nil {
		return Installation{}, err
	}
	if err := plainPermissions(inst.Permissions); err != nil {
		return Installation{}, err
	}
	switch {
	case inst.ID == 0:
		return Installation{}, errors.New("response has no installation id")
	case inst.AppSlug != "" && !isSlug(inst.AppSlug):
		return Installation{}, fmt.Errorf("app_slug %q is not a GitHub App slug", inst.AppSlug)
	}
	return inst, nil
}

// decode parses a JSON response body into v. It names the content type
// when the body is not JSON at all, as from a proxy's error page; it never
// quotes the body, which may hold a token.
func decode(resp *response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		ct := resp.header.Get("Content-Type")
		if mt, _, _ := mime.ParseMediaType(ct); ct != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return fmt.Errorf("malformed %d response (content type %q): %w", resp.status, mt, err)
		}
		return fmt.Errorf("malformed %d response: %w", resp.status, err)
	}
	return nil
}

// oneLine checks name, value pairs. Values are written to the runner's
// files between fixed heredoc delimiters, which a line break would break.
// The error names the field, never the value.
func oneLine(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.ContainsAny(pairs[i+1], "\r\n") {
			return fmt.Errorf("unexpected newline in %s", pairs[i])
		}
	}
	return nil
}

// The token is opaque: its length and shape are GitHub's to change, so
// only a line break (which would break the runner's files) is refused.
// The app slug and the permissions become step outputs too, which
// workflows paste into shell scripts, as in
// git config user.name '${{ steps.app-token.outputs.app-slug }}[bot]'.
// GitHub's values are plain words; a response whose values carry quotes,
// spaces or other shell syntax did not come from GitHub and is refused.

// isSlug reports whether s can be a GitHub App slug: letters, digits, '-',
// '_' and '.'.
func isSlug(s string) bool {
	return s != "" && strings.Trim(s, wordChars+"-_.") == ""
}

// plainPermissions refuses permission names and levels other than words
// with '_' and '-', such as "pull_requests" and "write". A line break gets
// the same error as from [oneLine], naming the field but not the value.
func plainPermissions(perms map[string]string) error {
	for name, level := range perms {
		switch {
		case strings.ContainsAny(name, "\r\n"):
			return errors.New("unexpected newline in permission name")
		case strings.ContainsAny(level, "\r\n"):
			return fmt.Errorf("unexpected newline in permission %s", name)
		case !isPermissionWord(name):
			return fmt.Errorf("invalid permission name %q", name)
		case !isPermissionWord(level):
			return fmt.Errorf("invalid level %q for permission %s", level, name)
		}
	}
	return nil
}

func isPermissionWord(s string) bool {
	return s != "" && strings.Trim(s, wordChars+"-_") == ""
}

const wordChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// wrap prefixes err with r's method and path.
func (r *request) wrap(err error) error {
	return fmt.Errorf("%s %s: %w", r.method, r.path, err)
}

// doJSON sends r and decodes the body of the 2xx answer, which must not be
// empty, into v. It returns the answer's header, for pagination links.
func (c *Client) doJSON(ctx context.Context, r *request, v any) (http.Header, error) {
	r.want = true
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := decode(resp, v); err != nil {
		return nil, r.wrap(err)
	}
	return resp.header, nil
}
