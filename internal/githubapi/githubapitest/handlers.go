package githubapitest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// jsonBuffers holds the *bytes.Buffer values writeJSON encodes into.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GitHub's own words for everything but authentication.
const (
	msgNotFound            = "Not Found"
	msgMoved               = "Moved Permanently"
	msgProblemsParsingJSON = "Problems parsing JSON"
	msgSuspended           = "This installation has been suspended"
	msgRepoNotAccessible   = "There is at least one repository that does not exist or is not accessible to the parent installation."
	msgNotGranted          = "The permissions requested are not granted to this installation."
	// msgInvalidLevel answers a level other than read, write or admin. As
	// asserted against GitHub's live answer in a public integration test
	// (found by its text in the search index; the repository was not named).
	msgInvalidLevel = `There is at least one permission action that is not supported. It should be one of: "read", "write" or "admin".`
	// Assumed: public reports quote only this start of GitHub's message
	// for a token request over the repository limit; the rest of it (the
	// limit, advice) is not confirmed.
	msgTooManyRepos = "Too many repositories for installation"
)

const (
	// maxTokenRepositories is how many repositories a token request may list.
	maxTokenRepositories = 500
	// longTokenLength is the length LongTokens aims at.
	longTokenLength = 520
)

// Documentation links GitHub puts in its answers.
const (
	docRoot              = "https://docs.github.com/rest"
	docApps              = "https://docs.github.com/rest/apps/apps"
	docGetApp            = docApps + "#get-the-authenticated-app"
	docListInstallations = docApps + "#list-installations-for-the-authenticated-app"
	docGetInstallation   = docApps + "#get-an-installation-for-the-authenticated-app"
	// docCreateToken is the documentation_url of the token endpoint's
	// errors, an old-style reference link, as GitHub sends it (the same
	// public integration test as msgInvalidLevel).
	docCreateToken            = "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-for-an-app"
	docRepoInstallation       = docApps + "#get-a-repository-installation-for-the-authenticated-app"
	docOrgInstallation        = docApps + "#get-an-organization-installation-for-the-authenticated-app"
	docUserInstallation       = docApps + "#get-a-user-installation-for-the-authenticated-app"
	docEnterpriseInstallation = docApps + "#get-an-enterprise-installation-for-the-authenticated-app"
	docRevokeToken            = "https://docs.github.com/rest/apps/installations#revoke-an-installation-access-token"
	docGetUser                = "https://docs.github.com/rest/users/users#get-a-user"
	// docRedirects is the documentation_url of a renamed repository's
	// 301 (octokit/fixtures, MIT, scenarios/api.github.com/rename-repository).
	docRedirects = "https://docs.github.com/v3/#http-redirects"
)

// route dispatches a request whose path lies inside BasePath.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rel string, body []byte) {
	seg := strings.Split(strings.Trim(rel, "/"), "/")
	is := func(method string, pattern ...string) bool {
		if r.Method != method || len(seg) != len(pattern) {
			return false
		}
		for i, p := range pattern {
			if p != "*" && p != seg[i] || seg[i] == "" {
				return false
			}
		}
		return true
	}
	if len(seg) >= 3 && seg[0] == "repos" {
		if to, ok := s.cfg.Renamed[strings.ToLower(seg[1]+"/"+seg[2])]; ok {
			s.redirect(w, r, to, seg[3:])
			return
		}
	}
	// GitHub redirects a renamed repository to its ID, and serves the same
	// endpoints below /repositories/{id} (octokit/fixtures,
	// scenarios/api.github.com/rename-repository).
	if len(seg) >= 2 && seg[0] == "repositories" {
		if owner, name, ok := s.repositoryByID(seg[1]); ok {
			seg = append([]string{"repos", owner, name}, seg[2:]...)
		}
	}
	switch {
	case is("GET", "app"):
		s.getApp(w, r)
	case is("GET", "app", "installations"):
		s.listInstallations(w, r)
	case is("GET", "app", "installations", "*"):
		s.getInstallation(w, r, seg[2])
	case is("POST", "app", "installations", "*", "access_tokens"):
		s.createToken(w, r, seg[2], body)
	case is("GET", "repos", "*", "*", "installation"):
		s.findInstallation(w, r, docRepoInstallation, seg[1], seg[2], "User", "Organization")
	case is("GET", "orgs", "*", "installation"):
		s.findInstallation(w, r, docOrgInstallation, seg[1], "", "Organization")
	case is("GET", "users", "*", "installation"):
		s.findInstallation(w, r, docUserInstallation, seg[1], "", "User", "Organization")
	case is("GET", "enterprises", "*", "installation"):
		s.findInstallation(w, r, docEnterpriseInstallation, seg[1], "", "Enterprise")
	case is("DELETE", "installation", "token"):
		s.revokeToken(w, r)
	case is("GET", "users", "*"):
		s.getUser(w, r, seg[1])
	default:
		s.fail(w, http.StatusNotFound, msgNotFound, docRoot)
	}
}

// redirect answers a request for a repository renamed to "owner/name" to:
// 301 for reads and 307 for writes, to /repositories/{id}/..., as GitHub
// does (octokit/fixtures, scenarios/api.github.com/rename-repository,
// records the 301 of a GET). Assumed: the 307 for other methods.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string, rest []string) {
	owner, name, _ := strings.Cut(to, "/")
	id, ok := s.repositoryID(owner, name)
	if !ok {
		s.errorf("githubapitest: renamed to %s, which no installation reaches", to)
		s.fail(w, http.StatusNotFound, msgNotFound, docRoot)
		return
	}
	loc := s.apiRoot(r) + "/repositories/" + strconv.FormatInt(id, 10)
	if len(rest) > 0 {
		loc += "/" + strings.Join(rest, "/")
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	status := http.StatusMovedPermanently
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusTemporaryRedirect
	}
	w.Header().Set("Location", loc)
	s.writeJSON(w, status, movedBody{Message: msgMoved, URL: loc, DocumentationURL: docRedirects})
}

// getApp answers GET /app.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	if !s.authApp(w, r) {
		return
	}
	s.writeJSON(w, http.StatusOK, s.appJSON(r))
}

// listInstallations answers GET /app/installations, a page at a time.
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) {
	if !s.authApp(w, r) {
		return
	}
	all := s.cfg.Installations
	lo, hi := s.paginate(w, r, len(all))
	page := make([]installationBody, 0, hi-lo)
	for i := lo; i < hi; i++ {
		page = append(page, s.installationJSON(r, i))
	}
	s.writeJSON(w, http.StatusOK, page)
}

// getInstallation answers GET /app/installations/{id}.
func (s *Server) getInstallation(w http.ResponseWriter, r *http.Request, id string) {
	if i, ok := s.appInstallation(w, r, id, docGetInstallation); ok {
		s.writeJSON(w, http.StatusOK, s.installationJSON(r, i))
	}
}

// appInstallation checks the app JWT of a request about the installation
// with the decimal ID id, and returns the installation's index. When the JWT
// is refused or there is no such installation, appInstallation answers as
// GitHub does, with doc in the 404, and returns false.
func (s *Server) appInstallation(w http.ResponseWriter, r *http.Request, id, doc string) (int, bool) {
	if !s.authApp(w, r) {
		return -1, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	i := s.installationIndex(n)
	if err != nil || i < 0 {
		s.fail(w, http.StatusNotFound, msgNotFound, doc)
		return -1, false
	}
	return i, true
}

// findInstallation answers the installation lookups by owner (and, for
// repositories, by repository name). Names match case-insensitively.
func (s *Server) findInstallation(w http.ResponseWriter, r *http.Request, doc, owner, repo string, types ...string) {
	if !s.authApp(w, r) {
		return
	}
	for i, in := range s.cfg.Installations {
		if !strings.EqualFold(in.Account.Login, owner) || !slices.Contains(types, in.Account.Type) {
			continue
		}
		if repo != "" && repositoryNamed(in, repo) < 0 {
			break
		}
		s.writeJSON(w, http.StatusOK, s.installationJSON(r, i))
		return
	}
	s.fail(w, http.StatusNotFound, msgNotFound, doc)
}

// tokenRequest is the body of POST /app/installations/{id}/access_tokens.
type tokenRequest struct {
	Repositories  []string          `json:"repositories"`
	RepositoryIDs []int64           `json:"repository_ids"`
	Permissions   map[string]string `json:"permissions"`
}

// createToken answers POST /app/installations/{id}/access_tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	i, ok := s.appInstallation(w, r, id, docCreateToken)
	if !ok {
		return
	}
	in := s.cfg.Installations[i]
	if in.Suspended {
		s.fail(w, http.StatusForbidden, msgSuspended, docCreateToken)
		return
	}
	req, status, msg := parseTokenRequest(body)
	if status != 0 {
		s.fail(w, status, msg, docCreateToken)
		return
	}
	if len(req.Repositories)+len(req.RepositoryIDs) > maxTokenRepositories {
		s.fail(w, http.StatusUnprocessableEntity, msgTooManyRepos, docCreateToken)
		return
	}

	var repos []Repository // nil = not scoped
	seen := map[int64]bool{}
	add := func(j int) {
		if !seen[in.Repositories[j].ID] {
			seen[in.Repositories[j].ID] = true
			repos = append(repos, in.Repositories[j])
		}
	}
	// Indexes, not a search per entry: a request may list 500
	// repositories of an installation with as many.
	byName, byID := repositoryIndex(in, len(req.Repositories) > 0, len(req.RepositoryIDs) > 0)
	for _, name := range req.Repositories {
		j, ok := byName[strings.ToLower(name)]
		if !ok {
			s.fail(w, http.StatusUnprocessableEntity, msgRepoNotAccessible, docCreateToken)
			return
		}
		add(j)
	}
	for _, rid := range req.RepositoryIDs {
		j, ok := byID[rid]
		if !ok {
			s.fail(w, http.StatusUnprocessableEntity, msgRepoNotAccessible, docCreateToken)
			return
		}
		add(j)
	}

	perms := in.Permissions
	if len(req.Permissions) > 0 {
		for _, level := range req.Permissions {
			if levelRank(level) == 0 {
				s.fail(w, http.StatusUnprocessableEntity, msgInvalidLevel, docCreateToken)
				return
			}
		}
		for name, level := range req.Permissions {
			granted, ok := in.Permissions[name]
			// Assumed: an unknown permission name, or a level the
			// permission does not have (admin for contents), gets the
			// same 422 as a level above the installation's.
			if !ok || !levelAllowed(name, level) || levelRank(level) > levelRank(granted) {
				s.fail(w, http.StatusUnprocessableEntity, msgNotGranted, docCreateToken)
				return
			}
		}
		perms = maps.Clone(req.Permissions)
		// GitHub adds metadata:read to every scoped token of an
		// installation that has it.
		if _, ok := in.Permissions["metadata"]; ok {
			if _, asked := perms["metadata"]; !asked {
				perms["metadata"] = "read"
			}
		}
	}

	selection := in.RepositorySelection
	if repos != nil {
		selection = "selected"
	}
	now := s.now()
	t := &IssuedToken{
		Value:          s.newTokenValue(in.ID, now),
		InstallationID: in.ID,
		IssuedAt:       now,
		ExpiresAt:      now.Add(s.cfg.TokenTTL).UTC().Truncate(time.Second),
		Permissions:    maps.Clone(perms),
	}
	for _, repo := range repos {
		t.Repositories = append(t.Repositories, repo.Name)
	}
	s.mu.Lock()
	s.tokens = append(s.tokens, t)
	s.byValue[t.Value] = t
	s.mu.Unlock()

	out := tokenBody{
		Token:               t.Value,
		ExpiresAt:           t.ExpiresAt.Format(time.RFC3339),
		Permissions:         t.Permissions,
		RepositorySelection: selection,
	}
	shown := repos
	if shown == nil && in.RepositorySelection == "selected" {
		shown = in.Repositories
	}
	if len(shown) > 0 {
		out.Repositories = s.repositoriesJSON(r, in, shown)
	}
	s.writeJSON(w, http.StatusCreated, out)
}

// parseTokenRequest decodes a token request body. On failure it returns
// GitHub's status and message.
func parseTokenRequest(body []byte) (tokenRequest, int, string) {
	var req tokenRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, 0, ""
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		if json.Valid(body) {
			return req, http.StatusUnprocessableEntity, fmt.Sprintf("Invalid request.\n\n%s is not an object.", bytes.TrimSpace(body))
		}
		return req, http.StatusBadRequest, msgProblemsParsingJSON
	}
	for name, raw := range fields {
		if string(raw) == "null" {
			continue
		}
		var target any
		var kind string
		switch name {
		case "repositories":
			target, kind = &req.Repositories, "an array of strings"
		case "repository_ids":
			target, kind = &req.RepositoryIDs, "an array of integers"
		case "permissions":
			target, kind = &req.Permissions, "an object of strings"
		default:
			return req, http.StatusUnprocessableEntity, fmt.Sprintf("Invalid request.\n\n%q is not a permitted key.", name)
		}
		if err := json.Unmarshal(raw, target); err != nil {
			return req, http.StatusUnprocessableEntity, fmt.Sprintf("Invalid request.\n\nFor 'properties/%s', %s is not %s.", name, raw, kind)
		}
	}
	return req, 0, ""
}

// revokeToken answers DELETE /installation/token.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	t, ok := s.authToken(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.byValue[t.Value].Revoked = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// getUser answers GET /users/{username}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, login string) {
	if !s.authAny(w, r) {
		return
	}
	a, ok := s.account(login)
	if !ok {
		s.fail(w, http.StatusNotFound, msgNotFound, docGetUser)
		return
	}
	s.writeJSON(w, http.StatusOK, s.fullUserJSON(r, a))
}

// account finds a user, organization or bot by login, case-insensitively.
func (s *Server) account(login string) (Account, bool) {
	if bot := s.BotUser(); strings.EqualFold(login, bot.Login) {
		return bot, true
	}
	for _, in := range s.cfg.Installations {
		if in.Account.Type != "Enterprise" && strings.EqualFold(in.Account.Login, login) {
			return in.Account, true
		}
	}
	for _, u := range s.cfg.Users {
		if strings.EqualFold(u.Login, login) {
			return u, true
		}
	}
	return Account{}, false
}

// repositoryID returns the ID of an installation's repository owner/name,
// case-insensitively.
func (s *Server) repositoryID(owner, name string) (int64, bool) {
	for _, in := range s.cfg.Installations {
		if !strings.EqualFold(in.Account.Login, owner) || in.Account.Type == "Enterprise" {
			continue
		}
		if j := repositoryNamed(in, name); j >= 0 {
			return in.Repositories[j].ID, true
		}
	}
	return 0, false
}

// repositoryByID returns the owner and name of the repository with the
// decimal ID id.
func (s *Server) repositoryByID(id string) (owner, name string, ok bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", "", false
	}
	for _, in := range s.cfg.Installations {
		for _, repo := range in.Repositories {
			if repo.ID == n {
				return in.Account.Login, repo.Name, true
			}
		}
	}
	return "", "", false
}

// installationIndex returns the index of the installation with ID id, or -1.
func (s *Server) installationIndex(id int64) int {
	return slices.IndexFunc(s.cfg.Installations, func(in Installation) bool { return in.ID == id })
}

// repositoryIndex maps the lower-cased names (with names) and the IDs (with
// ids) of an installation's repositories to their indexes.
func repositoryIndex(in Installation, names, ids bool) (byName map[string]int, byID map[int64]int) {
	if names {
		byName = make(map[string]int, len(in.Repositories))
	}
	if ids {
		byID = make(map[int64]int, len(in.Repositories))
	}
	for j, repo := range in.Repositories {
		if names {
			byName[strings.ToLower(repo.Name)] = j
		}
		if ids {
			byID[repo.ID] = j
		}
	}
	return byName, byID
}

// repositoryNamed returns the index of an installation's repository by
// name, case-insensitively, or -1. A name with a slash never matches.
func repositoryNamed(in Installation, name string) int {
	return slices.IndexFunc(in.Repositories, func(repo Repository) bool { return strings.EqualFold(repo.Name, name) })
}

// paginate picks the page of n items a request asks for with per_page
// (default 30, at most 100) and page (from 1), and sets GitHub's Link header.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("<http://%s%s?%s>; rel=%q", r.Host, r.URL.Path, v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	// A page past the last is empty. Checking that first keeps
	// (page-1)*per from overflowing for a page number near MaxInt.
	lo = n
	if page <= last {
		lo = min((page-1)*per, n)
	}
	hi = min(lo+per, n)
	return lo, hi
}

// newTokenValue returns a fresh installation token: classic "ghs_" and 36
// random characters, or with LongTokens GitHub's stateless
// "ghs_<app id>_<JWT>" format, padded to about 520 characters.
func (s *Server) newTokenValue(installationID int64, now time.Time) string {
	if !s.cfg.LongTokens {
		return "ghs_" + randomAlphanumeric(36)
	}
	enc := base64.RawURLEncoding
	sig := make([]byte, 256)
	_, _ = rand.Read(sig)
	head := fmt.Sprintf("ghs_%d_%s.", s.cfg.App.ID, enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)))
	tail := "." + enc.EncodeToString(sig)
	exp := now.Add(s.cfg.TokenTTL).Unix()
	nonce := randomAlphanumeric(64)
	// The jti grows a character at a time until the token is long enough.
	for n := 16; ; n++ {
		payload := enc.EncodeToString(fmt.Appendf(nil, `{"iid":%d,"exp":%d,"jti":%q}`, installationID, exp, nonce[:n]))
		if len(head)+len(payload)+len(tail) >= longTokenLength || n == len(nonce) {
			return head + payload + tail
		}
	}
}

// randomAlphanumeric returns n random letters and digits.
func randomAlphanumeric(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// fail answers with GitHub's error body.
func (s *Server) fail(w http.ResponseWriter, status int, message, doc string) {
	s.writeJSON(w, status, errorBody{Message: message, DocumentationURL: doc, Status: strconv.Itoa(status)})
}

// writeJSON answers with v as JSON.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	// Buffers are reused: a token for 500 repositories is half a megabyte
	// of JSON, and fresh memory is slow to come by in some VMs.
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		jsonBuffers.Put(buf)
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.errorf("githubapitest: encode %T: %v", v, err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"message":"Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
