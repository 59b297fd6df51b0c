package githubapitest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInstallationLookups(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))

	tests := []struct {
		name     string
		path     string
		wantID   int64 // 0 = want 404
		wantType string
		wantDoc  string
	}{
		{"selected repository", "/repos/acme/web/installation", 101, "Organization", ""},
		{"names match case-insensitively", "/repos/ACME/Web/installation", 101, "Organization", ""},
		{"repository not selected", "/repos/acme/secret/installation", 0, "", docRepoInstallation},
		{"repository of an all installation", "/repos/alice/blog/installation", 102, "User", ""},
		{"missing repository of an all installation", "/repos/alice/nope/installation", 0, "", docRepoInstallation},
		{"owner without the app", "/repos/nobody/web/installation", 0, "", docRepoInstallation},
		{"organization", "/orgs/acme/installation", 101, "Organization", ""},
		{"user is not an organization", "/orgs/alice/installation", 0, "", docOrgInstallation},
		{"user", "/users/alice/installation", 102, "User", ""},
		{"users finds organizations", "/users/Acme/installation", 101, "Organization", ""},
		{"users does not find enterprises", "/users/megacorp/installation", 0, "", docUserInstallation},
		{"enterprise", "/enterprises/megacorp/installation", 104, "Enterprise", ""},
		{"organization is not an enterprise", "/enterprises/acme/installation", 0, "", docEnterpriseInstallation},
		{"suspended installation is found", "/orgs/frozen/installation", 103, "Organization", ""},
		{"by ID", "/app/installations/102", 102, "User", ""},
		{"unknown ID", "/app/installations/999", 0, "", docGetInstallation},
		{"ID not a number", "/app/installations/acme", 0, "", docGetInstallation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, "GET", s.URL()+tt.path, auth, "")
			if tt.wantID == 0 {
				if e := wantError(t, r, http.StatusNotFound, msgNotFound); e.DocumentationURL != tt.wantDoc {
					t.Errorf("documentation_url = %q, want %q", e.DocumentationURL, tt.wantDoc)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", tt.path, r.status, r.body)
			}
			got := decode[installation](t, r)
			if got.ID != tt.wantID || got.TargetType != tt.wantType || got.AppID != 4242 || got.AppSlug != "test-app" {
				t.Errorf("installation = %+v, want id %d, target_type %s, app 4242 test-app", got, tt.wantID, tt.wantType)
			}
			if want := fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL(), tt.wantID); got.AccessTokensURL != want {
				t.Errorf("access_tokens_url = %q, want %q", got.AccessTokensURL, want)
			}
			if (got.SuspendedAt != nil) != (tt.wantID == 103) {
				t.Errorf("suspended_at = %v, want set only for the suspended installation", got.SuspendedAt)
			}
		})
	}
}

func TestInstallationJSON(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))

	r := do(t, "GET", s.URL()+"/repos/acme/web/installation", auth, "")
	raw := decode[map[string]json.RawMessage](t, r)
	for _, key := range []string{
		"id", "account", "repository_selection", "access_tokens_url", "repositories_url", "html_url",
		"app_id", "client_id", "app_slug", "target_id", "target_type", "permissions", "events", "created_at",
		"updated_at", "single_file_name", "suspended_by", "suspended_at",
	} {
		if _, ok := raw[key]; !ok {
			t.Errorf("installation has no %q: %s", key, r.body)
		}
	}
	got := decode[installation](t, r)
	wantPerms := map[string]string{"contents": "write", "issues": "read", "metadata": "read", "repository_projects": "admin"}
	if got.Account.Login != "acme" || got.Account.ID != 9001 || got.Account.Type != "Organization" ||
		got.RepositorySelection != "selected" || !maps.Equal(got.Permissions, wantPerms) {
		t.Errorf("installation = %+v", got)
	}
	if got.ClientID != "Iv23liTest0000000000" || got.HTMLURL != "https://github.com/organizations/acme/settings/installations/101" {
		t.Errorf("installation client_id %q, html_url %q, want the app's client ID and the organization's settings page", got.ClientID, got.HTMLURL)
	}
	if u := decode[installation](t, do(t, "GET", s.URL()+"/users/alice/installation", auth, "")); u.HTMLURL != "https://github.com/settings/installations/102" {
		t.Errorf("user installation html_url = %q, want the user's settings page", u.HTMLURL)
	}

	// Enterprise accounts have a slug, not a login, as on GitHub.
	ent := decode[installation](t, do(t, "GET", s.URL()+"/enterprises/MegaCorp/installation", auth, ""))
	if ent.Account.Slug != "megacorp" || ent.Account.Login != "" || ent.TargetType != "Enterprise" {
		t.Errorf("enterprise installation = %+v, want account slug megacorp", ent)
	}
}

func TestGetApp(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	r := do(t, "GET", s.URL()+"/app", bearer(appJWT(t, testNow)), "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /app = %d %s", r.status, r.body)
	}
	var app struct {
		ID                 int64  `json:"id"`
		ClientID           string `json:"client_id"`
		Slug               string `json:"slug"`
		Name               string `json:"name"`
		HTMLURL            string `json:"html_url"`
		Owner              struct{ Login string }
		Permissions        map[string]string `json:"permissions"`
		InstallationsCount int               `json:"installations_count"`
	}
	if err := json.Unmarshal(r.body, &app); err != nil {
		t.Fatal(err)
	}
	if app.ID != 4242 || app.ClientID != "Iv23liTest0000000000" || app.Slug != "test-app" || app.Name != "Test App" ||
		app.HTMLURL != "https://github.com/apps/test-app" || app.Owner.Login != "acme" || app.InstallationsCount != 4 {
		t.Errorf("GET /app = %+v", app)
	}
	if app.Permissions["contents"] != "write" || app.Permissions["organization_administration"] != "read" {
		t.Errorf("app permissions = %v, want the union of the installations'", app.Permissions)
	}
}

func TestListInstallationsPagination(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))
	base := s.URL() + "/app/installations"

	tests := []struct {
		query     string
		wantIDs   []int64
		wantLinks []string // rel names in order
	}{
		{"", []int64{101, 102, 103, 104}, nil},
		{"?per_page=100", []int64{101, 102, 103, 104}, nil},
		{"?per_page=1000", []int64{101, 102, 103, 104}, nil},
		{"?per_page=1", []int64{101}, []string{"next", "last"}},
		{"?per_page=1&page=2", []int64{102}, []string{"prev", "next", "last", "first"}},
		{"?per_page=3&page=2", []int64{104}, []string{"prev", "first"}},
		{"?per_page=2&page=9", []int64{}, []string{"prev", "first"}},
		// (page-1)*per_page overflows an int64: still an empty page.
		{"?per_page=100&page=100000000000000000", []int64{}, []string{"prev", "first"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			r := do(t, "GET", base+tt.query, auth, "")
			var ids []int64
			for _, in := range decode[[]installation](t, r) {
				ids = append(ids, in.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) && len(ids)+len(tt.wantIDs) > 0 {
				t.Errorf("ids = %v, want %v", ids, tt.wantIDs)
			}
			links := parseLinks(r.header.Get("Link"))
			var rels []string
			for _, l := range links {
				rels = append(rels, l.rel)
				if !strings.HasPrefix(l.url, base+"?") {
					t.Errorf("link %q does not point at %s", l.url, base)
				}
			}
			if !slices.Equal(rels, tt.wantLinks) {
				t.Errorf("Link rels = %v, want %v (Link: %s)", rels, tt.wantLinks, r.header.Get("Link"))
			}
		})
	}

	// Following rel="next" walks every installation exactly once.
	var seen []int64
	next := base + "?per_page=1"
	for next != "" && len(seen) < 10 {
		r := do(t, "GET", next, auth, "")
		for _, in := range decode[[]installation](t, r) {
			seen = append(seen, in.ID)
		}
		next = ""
		for _, l := range parseLinks(r.header.Get("Link")) {
			if l.rel == "next" {
				next = l.url
			}
		}
	}
	if !slices.Equal(seen, []int64{101, 102, 103, 104}) {
		t.Errorf("walking rel=next saw %v", seen)
	}
}

// link is one entry of a Link header.
type link struct{ url, rel string }

// parseLinks parses GitHub's Link header.
func parseLinks(h string) []link {
	var out []link
	for part := range strings.SplitSeq(h, ",") {
		u, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok {
			continue
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(params), `rel="`), `"`)
		out = append(out, link{url: strings.Trim(u, "<>"), rel: rel})
	}
	return out
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))
	many := func(n int) string {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%q", fmt.Sprint("repo", i))
		}
		return `{"repositories":[` + strings.Join(names, ",") + `]}`
	}
	acmeAll := map[string]string{"contents": "write", "issues": "read", "metadata": "read", "repository_projects": "admin"}

	tests := []struct {
		name          string
		installation  int64
		body          string
		status        int
		message       string
		wantPerms     map[string]string
		wantRepos     []string
		wantSelection string
	}{
		{"no body, selected installation", 101, "", 201, "", acmeAll, []string{"web", "api"}, "selected"},
		{"empty object, all installation", 102, "{}", 201, "", map[string]string{"contents": "read", "metadata": "read"}, nil, "all"},
		{"one repository", 101, `{"repositories":["web"]}`, 201, "", acmeAll, []string{"web"}, "selected"},
		{"repository names ignore case", 101, `{"repositories":["WEB"]}`, 201, "", acmeAll, []string{"web"}, "selected"},
		{"repository IDs", 101, `{"repository_ids":[1002]}`, 201, "", acmeAll, []string{"api"}, "selected"},
		{"names and IDs are merged", 101, `{"repositories":["web"],"repository_ids":[1001,1002]}`, 201, "", acmeAll, []string{"web", "api"}, "selected"},
		{"scoping an all installation", 102, `{"repositories":["blog"]}`, 201, "", map[string]string{"contents": "read", "metadata": "read"}, []string{"blog"}, "selected"},
		{"nulls are absent fields", 102, `{"repositories":null,"permissions":null}`, 201, "", map[string]string{"contents": "read", "metadata": "read"}, nil, "all"},
		{"owner/name is not a name", 101, `{"repositories":["acme/web"]}`, 422, msgRepoNotAccessible, nil, nil, ""},
		{"repository not selected", 101, `{"repositories":["secret"]}`, 422, msgRepoNotAccessible, nil, nil, ""},
		{"unknown repository ID", 101, `{"repository_ids":[2001]}`, 422, msgRepoNotAccessible, nil, nil, ""},
		{"narrower permission adds metadata", 101, `{"permissions":{"issues":"read"}}`, 201, "", map[string]string{"issues": "read", "metadata": "read"}, []string{"web", "api"}, "selected"},
		{"lower level than granted", 101, `{"permissions":{"contents":"read"}}`, 201, "", map[string]string{"contents": "read", "metadata": "read"}, []string{"web", "api"}, "selected"},
		{"metadata alone", 102, `{"permissions":{"metadata":"read"}}`, 201, "", map[string]string{"metadata": "read"}, nil, "all"},
		{"no metadata where the installation has none", 104, `{"permissions":{"organization_administration":"read"}}`, 201, "", map[string]string{"organization_administration": "read"}, nil, "all"},
		{"admin where granted", 101, `{"permissions":{"repository_projects":"admin"}}`, 201, "", map[string]string{"repository_projects": "admin", "metadata": "read"}, []string{"web", "api"}, "selected"},
		{"higher level than granted", 101, `{"permissions":{"issues":"write"}}`, 422, msgNotGranted, nil, nil, ""},
		{"permission not granted", 101, `{"permissions":{"actions":"read"}}`, 422, msgNotGranted, nil, nil, ""},
		{"one bad permission spoils all", 101, `{"permissions":{"contents":"read","actions":"read"}}`, 422, msgNotGranted, nil, nil, ""},
		{"unknown permission", 101, `{"permissions":{"bogus":"read"}}`, 422, msgNotGranted, nil, nil, ""},
		{"level the permission does not have", 101, `{"permissions":{"contents":"admin"}}`, 422, msgNotGranted, nil, nil, ""},
		{"level GitHub does not know", 101, `{"permissions":{"contents":"read","issues":"none"}}`, 422, msgInvalidLevel, nil, nil, ""},
		{"invalid JSON", 101, `{"repositories":`, 400, msgProblemsParsingJSON, nil, nil, ""},
		{"not an object", 101, `[]`, 422, "Invalid request.\n\n[] is not an object.", nil, nil, ""},
		{"repositories not an array", 101, `{"repositories":"web"}`, 422, "Invalid request.\n\nFor 'properties/repositories', \"web\" is not an array of strings.", nil, nil, ""},
		{"unknown field", 101, `{"repo":"web"}`, 422, "Invalid request.\n\n\"repo\" is not a permitted key.", nil, nil, ""},
		{"500 repositories are allowed", 101, many(500), 422, msgRepoNotAccessible, nil, nil, ""},
		{"501 repositories are too many", 101, many(501), 422, msgTooManyRepos, nil, nil, ""},
		{"unknown installation", 999, "", 404, msgNotFound, nil, nil, ""},
		{"suspended installation", 103, "", 403, msgSuspended, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL(), tt.installation), auth, tt.body)
			if tt.status != http.StatusCreated {
				if e := wantError(t, r, tt.status, tt.message); e.DocumentationURL != docCreateToken {
					t.Errorf("documentation_url = %q, want %q", e.DocumentationURL, docCreateToken)
				}
				return
			}
			if r.status != http.StatusCreated {
				t.Fatalf("status = %d %s, want 201", r.status, r.body)
			}
			got := decode[token](t, r)
			if !strings.HasPrefix(got.Token, "ghs_") || len(got.Token) != 40 {
				t.Errorf("token has length %d, want a 40-character ghs_ token", len(got.Token))
			}
			if want := testNow.Add(time.Hour).Format(time.RFC3339); got.ExpiresAt != want {
				t.Errorf("expires_at = %q, want %q", got.ExpiresAt, want)
			}
			if !maps.Equal(got.Permissions, tt.wantPerms) {
				t.Errorf("permissions = %v, want %v", got.Permissions, tt.wantPerms)
			}
			if got.RepositorySelection != tt.wantSelection {
				t.Errorf("repository_selection = %q, want %q", got.RepositorySelection, tt.wantSelection)
			}
			var names []string
			for _, repo := range got.Repositories {
				names = append(names, repo.Name)
				if !strings.HasSuffix(repo.FullName, "/"+repo.Name) || repo.ID == 0 {
					t.Errorf("repository %+v lacks full_name or id", repo)
				}
			}
			if !slices.Equal(names, tt.wantRepos) {
				t.Errorf("repositories = %v, want %v", names, tt.wantRepos)
			}
			issued := tokenNamed(t, s, got.Token)
			if issued.InstallationID != tt.installation || !maps.Equal(issued.Permissions, tt.wantPerms) ||
				issued.ExpiresAt.Format(time.RFC3339) != got.ExpiresAt || issued.Revoked {
				t.Errorf("Tokens() has %+v", issued)
			}
		})
	}
}

// tokenNamed returns the issued token with a value.
func tokenNamed(tb testing.TB, s *Server, value string) IssuedToken {
	tb.Helper()
	for _, t := range s.Tokens() {
		if t.Value == value {
			return t
		}
	}
	tb.Fatalf("Tokens() lacks a token that was issued")
	return IssuedToken{}
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	tok := mint(t, s, 101, `{"repositories":["web"]}`).Token

	if got := tokenNamed(t, s, tok).Repositories; !slices.Equal(got, []string{"web"}) {
		t.Errorf("IssuedToken.Repositories = %q, want only web", got)
	}

	bot := s.BotUser()
	r := do(t, "GET", s.URL()+"/users/"+bot.Login, bearer(tok), "")
	var u user
	if err := json.Unmarshal(r.body, &u); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /users/%s = %d %s", bot.Login, r.status, r.body)
	}
	if u.Login != "test-app[bot]" || u.ID != bot.ID || u.ID == 0 || u.Type != "Bot" {
		t.Errorf("bot user = %+v, want test-app[bot] %d Bot", u, bot.ID)
	}

	r = do(t, "DELETE", s.URL()+"/installation/token", "token "+tok, "")
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE /installation/token = %d %q, want 204 and no body", r.status, r.body)
	}
	if !tokenNamed(t, s, tok).Revoked {
		t.Error("Tokens() does not show the revoked token as revoked")
	}
	wantError(t, do(t, "DELETE", s.URL()+"/installation/token", "token "+tok, ""), http.StatusUnauthorized, msgBadCredentials)
	wantError(t, do(t, "GET", s.URL()+"/users/alice", "token "+tok, ""), http.StatusUnauthorized, msgBadCredentials)

	// Other tokens live on; ExpireToken ends one.
	other := mint(t, s, 102, "").Token
	if r := do(t, "GET", s.URL()+"/users/alice", "token "+other, ""); r.status != http.StatusOK {
		t.Fatalf("second token: %d %s", r.status, r.body)
	}
	s.ExpireToken(other)
	wantError(t, do(t, "GET", s.URL()+"/users/alice", "token "+other, ""), http.StatusUnauthorized, msgBadCredentials)
	wantError(t, do(t, "DELETE", s.URL()+"/installation/token", "token "+other, ""), http.StatusUnauthorized, msgBadCredentials)
	if got := tokenNamed(t, s, other).ExpiresAt; !got.Equal(testNow) {
		t.Errorf("expired token's ExpiresAt = %v, want %v", got, testNow)
	}
}

func TestIssuedTokenRepositories(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	tests := []struct {
		name string
		body string
		want []string
	}{
		// The answer lists the selected repositories, but the token is
		// not limited beyond the installation.
		{"not scoped", "", nil},
		{"scoped", `{"repositories":["API"]}`, []string{"api"}},
		{"names, then IDs, once each", `{"repositories":["API","web"],"repository_ids":[1001,1002]}`, []string{"api", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := mint(t, s, 101, tt.body)
			if got := tokenNamed(t, s, tok.Token).Repositories; !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("IssuedToken.Repositories = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestTokenTTL(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.TokenTTL = 10 * time.Minute
	s := Start(t, cfg)
	tok := mint(t, s, 102, "")
	if want := testNow.Add(10 * time.Minute).Format(time.RFC3339); tok.ExpiresAt != want {
		t.Errorf("expires_at = %q, want %q", tok.ExpiresAt, want)
	}
	if got := tokenNamed(t, s, tok.Token).ExpiresAt; !got.Equal(testNow.Add(10 * time.Minute)) {
		t.Errorf("IssuedToken.ExpiresAt = %v, want %v", got, testNow.Add(10*time.Minute))
	}
	s.SetClockOffset(10*time.Minute - time.Second)
	if r := do(t, "GET", s.URL()+"/users/alice", "token "+tok.Token, ""); r.status != http.StatusOK {
		t.Errorf("a second before expiry = %d %s, want 200", r.status, r.body)
	}
	s.SetClockOffset(10 * time.Minute)
	wantError(t, do(t, "GET", s.URL()+"/users/alice", "token "+tok.Token, ""), http.StatusUnauthorized, msgBadCredentials)
}

func TestExpireTokenUnknownIsReported(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	s := Start(tb, testConfig(t))
	defer tb.cleanup()
	s.ExpireToken("ghs_never_issued")
	if errs := tb.errors(); len(errs) != 1 || strings.Contains(errs[0], "ghs_never_issued") {
		t.Errorf("errors = %q, want one that does not repeat the token", errs)
	}
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	tok := mint(t, s, 102, "").Token
	appKey, _ := testKeys(t)
	expiredJWT := mintJWT(t, appKey, map[string]any{"iat": testNow.Unix() - 700, "exp": testNow.Unix() - 100, "iss": "4242"})

	tests := []struct {
		name      string
		login     string
		auth      string
		status    int
		message   string
		wantLogin string
		wantType  string
	}{
		{"anonymous", "alice", "", 200, "", "alice", "User"},
		{"with a token", "bob", "token " + tok, 200, "", "bob", "User"},
		{"organization", "ACME", "token " + tok, 200, "", "acme", "Organization"},
		{"bot ignores case", "TEST-APP[BOT]", "token " + tok, 200, "", "test-app[bot]", "Bot"},
		{"with an app JWT", "alice", bearer(appJWT(t, testNow)), 200, "", "alice", "User"},
		{"unknown user", "nobody", "token " + tok, 404, msgNotFound, "", ""},
		{"enterprises are not users", "megacorp", "token " + tok, 404, msgNotFound, "", ""},
		{"unknown token", "alice", "token ghs_000000000000000000000000000000000000", 401, msgBadCredentials, "", ""},
		{"expired JWT", "alice", bearer(expiredJWT), 401, msgExpNotFuture, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, "GET", s.URL()+"/users/"+tt.login, tt.auth, "")
			if tt.status != http.StatusOK {
				wantError(t, r, tt.status, tt.message)
				return
			}
			var u user
			if err := json.Unmarshal(r.body, &u); err != nil || r.status != http.StatusOK {
				t.Fatalf("GET /users/%s = %d %s", tt.login, r.status, r.body)
			}
			if u.Login != tt.wantLogin || u.Type != tt.wantType || u.ID == 0 {
				t.Errorf("user = %+v, want %s %s", u, tt.wantLogin, tt.wantType)
			}
		})
	}
}

func TestRenamedRepository(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))

	r := do(t, "GET", s.URL()+"/repos/ACME/Old-Web/installation?x=1", auth, "")
	want := s.URL() + "/repositories/1001/installation?x=1"
	if r.status != http.StatusMovedPermanently || r.header.Get("Location") != want {
		t.Fatalf("GET renamed = %d Location %q, want 301 %q", r.status, r.header.Get("Location"), want)
	}
	var moved movedBody
	if err := json.Unmarshal(r.body, &moved); err != nil || moved.Message != msgMoved || moved.URL != want {
		t.Errorf("301 body = %s", r.body)
	}

	if r := do(t, "POST", s.URL()+"/repos/acme/old-web/issues", auth, "{}"); r.status != http.StatusTemporaryRedirect {
		t.Errorf("POST renamed = %d, want 307", r.status)
	}

	// A client that follows redirects lands on the installation.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/repos/acme/old-web/installation", nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var in installation
	if err := json.NewDecoder(resp.Body).Decode(&in); err != nil || resp.StatusCode != http.StatusOK || in.ID != 101 {
		t.Errorf("following the redirect = %d, installation %d (%v)", resp.StatusCode, in.ID, err)
	}
}

func TestLongTokens(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.LongTokens = true
	s := Start(t, cfg)

	tok := mint(t, s, 101, `{"repositories":["api"]}`).Token
	if !strings.HasPrefix(tok, "ghs_4242_") || len(tok) < 520 || len(tok) > 521 || strings.Count(tok, ".") != 2 {
		t.Errorf("long token has length %d and prefix %q, want ghs_4242_<JWT> of about 520", len(tok), tok[:min(len(tok), 9)])
	}
	if r := do(t, "GET", s.URL()+"/users/alice", bearer(tok), ""); r.status != http.StatusOK {
		t.Errorf("long token does not authenticate: %d %s", r.status, r.body)
	}
	wantError(t, do(t, "GET", s.URL()+"/app", bearer(tok), ""), http.StatusUnauthorized, msgJWTDecode)
	if slices.Contains(s.JWTs(), tok) {
		t.Error("JWTs() lists an installation token")
	}
	if r := do(t, "DELETE", s.URL()+"/installation/token", "token "+tok, ""); r.status != http.StatusNoContent {
		t.Errorf("revoking a long token = %d", r.status)
	}
}
