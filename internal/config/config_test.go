package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// testKey stands in for a private key; Load never parses it. Errors must
// never contain keyMaterial.
const (
	keyMaterial = "MIIEowIBAAKCAQEAfakeKeyMaterial"
	testKey     = "-----BEGIN RSA PRIVATE KEY-----\n" + keyMaterial + "\n-----END RSA PRIVATE KEY-----"
)

// baseEnv is the environment of a typical run in a repository workflow.
func baseEnv() map[string]string {
	return map[string]string{
		"INPUT_CLIENT-ID":         "Iv23liTest0000000000",
		"INPUT_PRIVATE-KEY":       testKey,
		"INPUT_GITHUB-API-URL":    "https://api.github.com",
		"GITHUB_REPOSITORY":       "octo-org/app",
		"GITHUB_REPOSITORY_OWNER": "octo-org",
		"GITHUB_API_URL":          "https://api.github.com",
		"GITHUB_SERVER_URL":       "https://github.com",
	}
}

// baseConfig is what Load returns for baseEnv.
func baseConfig() Config {
	return Config{
		Issuer:            "Iv23liTest0000000000",
		PrivateKey:        testKey,
		RepoOwner:         "octo-org",
		CurrentRepository: "octo-org/app",
		APIURL:            "https://api.github.com",
		ServerURL:         "https://github.com",
		Summary:           true,
	}
}

// newAction returns an Action that reads env, and env as an os.Environ-style
// list. An empty value counts as unset.
func newAction(tb testing.TB, env map[string]string) (*githubactions.Action, []string) {
	tb.Helper()
	var environ []string
	for k, v := range env {
		if v != "" {
			environ = append(environ, k+"="+v)
		}
	}
	slices.Sort(environ)
	getenv := func(k string) string { return env[k] }
	return githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard)), environ
}

// with returns baseEnv with kv ("KEY", "value", ...) set over it.
func with(kv ...string) map[string]string {
	env := baseEnv()
	for i := 0; i < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

// names returns n repository names separated by sep.
func names(n int, sep string) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("repo-%d", i)
	}
	return strings.Join(s, sep)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config) // edits baseConfig into the expected Config

		warn        string // substring of the only warning; "" = none
		notice      string // substring of the only notice; "" = none
		wantInput   string // the InputError's Input; "" = no error
		errContains string
		fixContains string
	}{
		{name: "defaults", env: baseEnv()},

		// client-id and app-id
		{name: "app-id only", env: with("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "123456"),
			want: func(c *Config) { c.Issuer = "123456" }},
		{name: "numeric client-id", env: with("INPUT_CLIENT-ID", "123456"),
			want: func(c *Config) { c.Issuer = "123456" }},
		{name: "client-id wins over app-id", env: with("INPUT_APP-ID", "123456"), warn: "app-id is ignored"},
		{name: "same client-id and app-id", env: with("INPUT_APP-ID", "Iv23liTest0000000000")},
		{name: "client-id and app-id unset", env: with("INPUT_CLIENT-ID", ""),
			wantInput: "client-id", errContains: "neither client-id nor app-id", fixContains: "secrets and configuration variables are both empty"},
		{name: "whitespace-only client-id", env: with("INPUT_CLIENT-ID", " \t\n "), wantInput: "client-id"},
		{name: "client-id with space", env: with("INPUT_CLIENT-ID", "Iv23li Test"), wantInput: "client-id"},
		{name: "app-id with newline", env: with("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "123\n456"), wantInput: "app-id"},
		{name: "private key in client-id", env: with("INPUT_CLIENT-ID", testKey), wantInput: "client-id", errContains: "private key"},
		{name: "unexpanded client-id", env: with("INPUT_CLIENT-ID", "${{ vars.APP_CLIENT_ID }}"),
			wantInput: "client-id", errContains: "unexpanded"},
		{name: "unexpanded app-id", env: with("INPUT_APP-ID", "${{vars.APP_ID}}"), wantInput: "app-id"},

		// private-key
		{name: "private-key unset", env: with("INPUT_PRIVATE-KEY", ""), wantInput: "private-key", fixContains: "pull request from a fork"},
		{name: "whitespace-only private-key", env: with("INPUT_PRIVATE-KEY", "  \n  "), wantInput: "private-key"},
		{name: "unexpanded private-key", env: with("INPUT_PRIVATE-KEY", "${{ secrets.KEY }}"), wantInput: "private-key"},
		{name: "private-key kept raw", env: with("INPUT_PRIVATE-KEY", "  -----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END  \n"),
			want: func(c *Config) { c.PrivateKey = "-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END" }},

		// owner
		{name: "owner", env: with("INPUT_OWNER", "octocat"),
			want: func(c *Config) { c.Owner, c.RepoOwner = "octocat", "octocat" }},
		{name: "owner of 39 characters", env: with("INPUT_OWNER", long(39)),
			want: func(c *Config) { c.Owner, c.RepoOwner = long(39), long(39) }},
		{name: "owner of 40 characters", env: with("INPUT_OWNER", long(40)), wantInput: "owner"},
		{name: "owner starting with hyphen", env: with("INPUT_OWNER", "-octo"), wantInput: "owner"},
		{name: "owner with underscore", env: with("INPUT_OWNER", "octo_org"), wantInput: "owner"},
		{name: "owner with slash", env: with("INPUT_OWNER", "octo-org/app"), wantInput: "owner"},
		{name: "bot owner", env: with("INPUT_OWNER", "dependabot[bot]"), wantInput: "owner"},
		{name: "unexpanded owner", env: with("INPUT_OWNER", "${{ github.repository_owner }}"), wantInput: "owner"},
		{name: "repository owner from GITHUB_REPOSITORY", env: with("GITHUB_REPOSITORY_OWNER", "")},
		{name: "owner outside a repository", env: with("INPUT_OWNER", "octocat", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			want: func(c *Config) { c.Owner, c.RepoOwner, c.CurrentRepository = "octocat", "octocat", "" }},

		// repositories
		{name: "repositories separated by commas and newlines", env: with("INPUT_REPOSITORIES", "app, docs\ninfra,\r\n\n  web "),
			want: func(c *Config) { c.Repositories = []string{"app", "docs", "infra", "web"} }},
		{name: "repositories deduplicated case-insensitively", env: with("INPUT_REPOSITORIES", "App,app,APP,docs,octo-org/app"),
			want: func(c *Config) { c.Repositories = []string{"App", "docs"} }},
		{name: "repositories as owner/name", env: with("INPUT_REPOSITORIES", "octo-org/app\nOcto-Org/docs"),
			want: func(c *Config) { c.Repositories = []string{"app", "docs"} }},
		{name: "repositories of the owner input", env: with("INPUT_OWNER", "octocat", "INPUT_REPOSITORIES", "octocat/hello, world"),
			want: func(c *Config) {
				c.Owner, c.RepoOwner, c.Repositories = "octocat", "octocat", []string{"hello", "world"}
			}},
		{name: "repositories of another owner", env: with("INPUT_REPOSITORIES", "app, other/x, other/y"),
			wantInput: "repositories", errContains: `"other/x" and "other/y" are not owned by "octo-org"`, fixContains: "one owner"},
		{name: "repositories of two owners outside a repository", env: with("INPUT_REPOSITORIES", "a/x, b/y", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			wantInput: "repositories", errContains: `"b/y" is not owned by "a"`},
		{name: "repositories name the owner outside a repository", env: with("INPUT_REPOSITORIES", "docs, octocat/hello", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			want: func(c *Config) {
				c.RepoOwner, c.CurrentRepository, c.Repositories = "octocat", "", []string{"docs", "hello"}
			}},
		{name: "bare repositories outside a repository", env: with("INPUT_REPOSITORIES", "app", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			wantInput: "owner", errContains: "the owner of repositories is unknown", fixContains: "owner/name"},
		{name: "repositories separated by spaces", env: with("INPUT_REPOSITORIES", "app docs"),
			wantInput: "repositories", errContains: `"app docs"`, fixContains: "commas or newlines"},
		{name: "repositories separated by semicolons", env: with("INPUT_REPOSITORIES", "app;docs"),
			wantInput: "repositories", fixContains: "commas or newlines"},
		{name: "repository named dot", env: with("INPUT_REPOSITORIES", "app,."), wantInput: "repositories", errContains: `"."`},
		{name: "repository named dot-dot", env: with("INPUT_REPOSITORIES", ".."), wantInput: "repositories"},
		{name: "repository name of 100 characters", env: with("INPUT_REPOSITORIES", long(100)),
			want: func(c *Config) { c.Repositories = []string{long(100)} }},
		{name: "repository name of 101 characters", env: with("INPUT_REPOSITORIES", long(101)),
			wantInput: "repositories", errContains: `"` + long(64) + `…" is not`}, // quoted values are shortened

		// Other actions' formats, clone and web URLs
		{name: "repositories as JSON array", env: with("INPUT_REPOSITORIES", `["app", "infra"]`),
			want: func(c *Config) { c.Repositories = []string{"app", "infra"} }},
		{name: "repositories as JSON array of owner/name", env: with("INPUT_REPOSITORIES", "[\n  \"octo-org/app\",\n  \" docs \", \"\"\n]"),
			want: func(c *Config) { c.Repositories = []string{"app", "docs"} }},
		{name: "repositories as empty JSON array", env: with("INPUT_OWNER", "octo-org", "INPUT_REPOSITORIES", "[]"),
			wantInput: "repositories", errContains: `"[]" names no repository`},
		{name: "repositories as JSON array of empty names", env: with("INPUT_REPOSITORIES", `["", " "]`),
			wantInput: "repositories", errContains: "names no repository"},
		{name: "repositories as JSON array without quotes", env: with("INPUT_REPOSITORIES", "[app, infra]"),
			wantInput: "repositories", errContains: "not a JSON array", fixContains: `["app", "infra"]`},
		{name: "repositories as JSON array of numbers", env: with("INPUT_REPOSITORIES", "[1]"),
			wantInput: "repositories", errContains: `element that is not one of its strings: "1"`},
		{name: "repositories with .git", env: with("INPUT_REPOSITORIES", "app.git, octo-org/docs.git"), notice: `understood "app.git" as "app" and "octo-org/docs.git" as "octo-org/docs"`,
			want: func(c *Config) { c.Repositories = []string{"app", "docs"} }},
		{name: "repository URL", env: with("INPUT_REPOSITORIES", "https://github.com/octo-org/app"), notice: `repositories: understood "https://github.com/octo-org/app" as "octo-org/app"`,
			want: func(c *Config) { c.Repositories = []string{"app"} }},
		{name: "repository clone URL", env: with("INPUT_REPOSITORIES", "https://GitHub.com/octo-org/app.git/"), notice: `as "octo-org/app"`,
			want: func(c *Config) { c.Repositories = []string{"app"} }},
		{name: "repository SSH clone URL", env: with("INPUT_REPOSITORIES", "git@github.com:octo-org/app.git"), notice: `"git@github.com:octo-org/app.git" as "octo-org/app"`,
			want: func(c *Config) { c.Repositories = []string{"app"} }},
		{name: "repository ssh:// clone URL", env: with("INPUT_REPOSITORIES", "ssh://git@github.com:22/octo-org/app.git"), notice: `as "octo-org/app"`,
			want: func(c *Config) { c.Repositories = []string{"app"} }},
		{name: "repository URLs name the owner outside a repository", env: with("INPUT_REPOSITORIES", "https://github.com/octocat/hello\nhttps://github.com/octocat/world", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			notice: `"https://github.com/octocat/hello" as "octocat/hello" and "https://github.com/octocat/world" as "octocat/world"`,
			want: func(c *Config) {
				c.RepoOwner, c.CurrentRepository, c.Repositories = "octocat", "", []string{"hello", "world"}
			}},
		{name: "many repository URLs", env: with("INPUT_REPOSITORIES", "a.git,b.git,c.git,d.git,e.git"), notice: `"c.git" as "c" and 2 more`,
			want: func(c *Config) { c.Repositories = []string{"a", "b", "c", "d", "e"} }},
		{name: "GHES repository URL", env: with("GITHUB_SERVER_URL", "https://ghe.example.com", "INPUT_REPOSITORIES", "https://GHE.example.com/octo-org/app"), notice: `as "octo-org/app"`,
			want: func(c *Config) { c.ServerURL, c.Repositories = "https://ghe.example.com", []string{"app"} }},
		{name: "GHES SSH clone URL", env: with("GITHUB_SERVER_URL", "https://ghe.example.com:8443/", "INPUT_REPOSITORIES", "git@ghe.example.com:octo-org/app.git"), notice: `as "octo-org/app"`,
			want: func(c *Config) { c.ServerURL, c.Repositories = "https://ghe.example.com:8443", []string{"app"} }},
		{name: "github.com repository URL on GHES", env: with("GITHUB_SERVER_URL", "https://ghe.example.com", "INPUT_REPOSITORIES", "https://github.com/octo-org/app"),
			wantInput: "repositories", errContains: `not on "ghe.example.com"`, fixContains: `write "octo-org/app" in {repositories}`},
		{name: "repository URL on another host", env: with("INPUT_REPOSITORIES", "https://gitlab.com/octo-org/app.git"),
			wantInput: "repositories", errContains: `is a URL on "gitlab.com"`, fixContains: `write "octo-org/app"`},
		{name: "SSH clone URL on another host", env: with("INPUT_REPOSITORIES", "git@gitlab.com:octo-org/app.git"),
			wantInput: "repositories", errContains: `"gitlab.com"`, fixContains: `write "octo-org/app"`},
		{name: "repository page URL", env: with("INPUT_REPOSITORIES", "https://github.com/octo-org/app/tree/main"),
			wantInput: "repositories", errContains: "not of a repository", fixContains: `write "octo-org/app"`},
		{name: "owner URL", env: with("INPUT_REPOSITORIES", "https://github.com/octo-org"),
			wantInput: "repositories", errContains: "not of a repository", fixContains: "name or owner/name"},
		{name: "repository git:// URL", env: with("INPUT_REPOSITORIES", "git://github.com/octo-org/app.git"),
			wantInput: "repositories", errContains: "is a git URL", fixContains: `write "octo-org/app"`},
		{name: "repository URL with credentials", env: with("INPUT_REPOSITORIES", "https://x-access-token:hunter2@github.com/octo-org/app.git"),
			wantInput: "repositories", errContains: "credentials (not shown)", fixContains: "owner/name"},
		{name: "SSH URL with password", env: with("INPUT_REPOSITORIES", "ssh://git:hunter2@github.com/octo-org/app.git"),
			wantInput: "repositories", errContains: "credentials (not shown)"},
		{name: "repository URL with query", env: with("INPUT_REPOSITORIES", "https://github.com/octo-org/app?token=hunter2"),
			wantInput: "repositories", errContains: `"https://github.com/octo-org/app" has a query or fragment (not shown)`, fixContains: `write "octo-org/app"`},
		{name: "repository URL of another owner", env: with("INPUT_REPOSITORIES", "app, https://github.com/other/x"),
			wantInput: "repositories", errContains: `"other/x" is not owned by "octo-org"`},
		{name: "repository with bad owner", env: with("INPUT_REPOSITORIES", "octo_org/app"), wantInput: "repositories"},
		{name: "repository with two slashes", env: with("INPUT_REPOSITORIES", "octo-org/app/x"), wantInput: "repositories"},
		{name: "repository name with dots and underscores", env: with("INPUT_REPOSITORIES", ".github, my_repo.js"),
			want: func(c *Config) { c.Repositories = []string{".github", "my_repo.js"} }},
		// A list that is set but names nothing must not widen the token to
		// every repository of the installation.
		{name: "repositories only separators", env: with("INPUT_REPOSITORIES", ",, ,"),
			wantInput: "repositories", errContains: `",, ," names no repository`, fixContains: "every repository of the installation"},
		{name: "repositories only separators with owner", env: with("INPUT_OWNER", "octo-org", "INPUT_REPOSITORIES", " , ,\n\n"),
			wantInput: "repositories", errContains: "names no repository"},
		{name: "repositories only a newline", env: with("INPUT_REPOSITORIES", "\n"),
			wantInput: "repositories", errContains: `"\n" names no repository`},
		{name: "repositories only spaces", env: with("INPUT_OWNER", "octo-org", "INPUT_REPOSITORIES", "  "),
			wantInput: "repositories", errContains: "names no repository"},
		{name: "500 repositories", env: with("INPUT_REPOSITORIES", names(500, ",")),
			want: func(c *Config) { c.Repositories = strings.Split(names(500, ","), ",") }},
		{name: "501 repositories", env: with("INPUT_REPOSITORIES", names(501, "\n")), wantInput: "repositories", errContains: "500"},
		{name: "501 repositories before dedupe", env: with("INPUT_REPOSITORIES", names(500, ",")+",REPO-0"),
			want: func(c *Config) { c.Repositories = strings.Split(names(500, ","), ",") }},
		{name: "unexpanded repositories", env: with("INPUT_REPOSITORIES", "${{ matrix.repo }}"), wantInput: "repositories"},

		// repository-ids
		{name: "repository-ids", env: with("INPUT_REPOSITORY-IDS", "1296269, 42\n42,7"),
			want: func(c *Config) { c.RepositoryIDs = []int64{1296269, 42, 7} }},
		{name: "repository-ids not a number", env: with("INPUT_REPOSITORY-IDS", "app"), wantInput: "repository-ids", errContains: `"app"`},
		{name: "repository-ids zero", env: with("INPUT_REPOSITORY-IDS", "0"), wantInput: "repository-ids"},
		{name: "repository-ids negative", env: with("INPUT_REPOSITORY-IDS", "-5"), wantInput: "repository-ids"},
		{name: "repository-ids with sign", env: with("INPUT_REPOSITORY-IDS", "+5"), wantInput: "repository-ids"},
		{name: "repository-ids overflow", env: with("INPUT_REPOSITORY-IDS", "99999999999999999999"), wantInput: "repository-ids"},
		{name: "repository-ids separated by spaces", env: with("INPUT_REPOSITORY-IDS", "1 2"), wantInput: "repository-ids"},
		{name: "repository-ids as JSON array", env: with("INPUT_REPOSITORY-IDS", `[1296269, 42, 42, "7"]`),
			want: func(c *Config) { c.RepositoryIDs = []int64{1296269, 42, 7} }},
		{name: "repository-ids as empty JSON array", env: with("INPUT_REPOSITORY-IDS", "[ ]"),
			wantInput: "repository-ids", errContains: `"[ ]" names no repository ID`},
		{name: "repository-ids as JSON array with fraction", env: with("INPUT_REPOSITORY-IDS", "[1.5]"),
			wantInput: "repository-ids", errContains: `"1.5" is not a repository ID`},
		{name: "repository-ids as JSON array with boolean", env: with("INPUT_REPOSITORY-IDS", "[true]"),
			wantInput: "repository-ids", errContains: "not one of its numbers", fixContains: "[1296269, 1296270]"},
		{name: "repository-ids as broken JSON", env: with("INPUT_REPOSITORY-IDS", "[1, 2"),
			wantInput: "repository-ids", errContains: "not a JSON array"},
		{name: "repository-ids only separators", env: with("INPUT_OWNER", "octo-org", "INPUT_REPOSITORY-IDS", ", ,"),
			wantInput: "repository-ids", errContains: "names no repository ID", fixContains: "{repository-ids}"},
		{name: "repository-ids only a newline", env: with("INPUT_REPOSITORY-IDS", "\n"),
			wantInput: "repository-ids", errContains: "names no repository ID"},
		{name: "repositories and repository-ids over 500", env: with("INPUT_REPOSITORIES", names(300, ","), "INPUT_REPOSITORY-IDS", idList(201)),
			wantInput: "repository-ids", errContains: "501"},

		// installation-id
		{name: "installation-id", env: with("INPUT_INSTALLATION-ID", "42"),
			want: func(c *Config) { c.InstallationID = 42 }},
		{name: "installation-id not a number", env: with("INPUT_INSTALLATION-ID", "forty-two"), wantInput: "installation-id"},
		{name: "installation-id zero", env: with("INPUT_INSTALLATION-ID", "0"), wantInput: "installation-id"},
		{name: "installation-id fraction", env: with("INPUT_INSTALLATION-ID", "4.2"), wantInput: "installation-id"},
		{name: "installation-id with owner", env: with("INPUT_INSTALLATION-ID", "42", "INPUT_OWNER", "octocat"),
			wantInput: "installation-id", errContains: "owner"},
		{name: "installation-id outside a repository", env: with("INPUT_INSTALLATION-ID", "42", "INPUT_REPOSITORIES", "app", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			want: func(c *Config) {
				c.InstallationID, c.Repositories, c.RepoOwner, c.CurrentRepository = 42, []string{"app"}, "", ""
			}},

		// enterprise
		{name: "enterprise", env: with("INPUT_ENTERPRISE", "octo-enterprise", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			want: func(c *Config) { c.Enterprise, c.RepoOwner, c.CurrentRepository = "octo-enterprise", "", "" }},
		{name: "enterprise with owner and repositories", env: with("INPUT_ENTERPRISE", "octo-enterprise", "INPUT_OWNER", "octocat", "INPUT_REPOSITORIES", "app"),
			wantInput: "enterprise", errContains: "cannot be combined with owner and repositories"},
		{name: "enterprise with installation-id", env: with("INPUT_ENTERPRISE", "octo-enterprise", "INPUT_INSTALLATION-ID", "42"),
			wantInput: "enterprise", errContains: "installation-id"},
		{name: "enterprise with repository-ids", env: with("INPUT_ENTERPRISE", "octo-enterprise", "INPUT_REPOSITORY-IDS", "1"),
			wantInput: "enterprise", errContains: "repository-ids"},
		{name: "enterprise with space", env: with("INPUT_ENTERPRISE", "octo enterprise"), wantInput: "enterprise"},
		{name: "enterprise URL", env: with("INPUT_ENTERPRISE", "https://github.com/enterprises/octo"), wantInput: "enterprise"},

		// repository context
		{name: "no repository context", env: with("GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			wantInput: "owner", errContains: "GITHUB_REPOSITORY is empty", fixContains: "outside a repository context"},
		{name: "GITHUB_REPOSITORY without name", env: with("GITHUB_REPOSITORY", "octo-org"),
			wantInput: "owner", errContains: `GITHUB_REPOSITORY "octo-org" is not owner/name`, fixContains: "outside a repository context"},
		{name: "repository-ids outside a repository", env: with("INPUT_REPOSITORY-IDS", "1", "GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY_OWNER", ""),
			wantInput: "owner"},

		// permissions
		{name: "permissions", env: with("INPUT_PERMISSION-ISSUES", "write", "INPUT_PERMISSION-PULL-REQUESTS", " Read ", "INPUT_PERMISSION-CONTENTS", ""),
			want: func(c *Config) { c.Permissions = map[string]string{"issues": "write", "pull_requests": "read"} }},
		{name: "permission admin", env: with("INPUT_PERMISSION-ORGANIZATION-PROJECTS", "ADMIN"),
			want: func(c *Config) { c.Permissions = map[string]string{"organization_projects": "admin"} }},
		{name: "permission admin not allowed", env: with("INPUT_PERMISSION-ISSUES", "admin"),
			wantInput: "permission-issues", errContains: `permission-issues: must be read or write, got "admin"`},
		{name: "permission read not allowed", env: with("INPUT_PERMISSION-WORKFLOWS", "read"),
			wantInput: "permission-workflows", errContains: `must be write, got "read"`},
		{name: "permission boolean", env: with("INPUT_PERMISSION-CONTENTS", "true"), wantInput: "permission-contents"},
		{name: "permission none", env: with("INPUT_PERMISSION-CONTENTS", "none"), wantInput: "permission-contents"},
		{name: "permission whitespace-only", env: with("INPUT_PERMISSION-CONTENTS", "  ")},
		{name: "unknown permission", env: with("INPUT_PERMISSION-FUTURE-THING", "read"), warn: `"future_thing" is not a known github.com permission`,
			want: func(c *Config) { c.Permissions = map[string]string{"future_thing": "read"} }},
		{name: "retired permission", env: with("INPUT_PERMISSION-TEAM-DISCUSSIONS", "write"), warn: `"team_discussions" is no longer in GitHub's list`,
			want: func(c *Config) { c.Permissions = map[string]string{"team_discussions": "write"} }},
		{name: "retired permission admin", env: with("INPUT_PERMISSION-TEAM-DISCUSSIONS", "admin"),
			wantInput: "permission-team-discussions", errContains: "must be read or write"},
		{name: "unknown permission bad level", env: with("INPUT_PERMISSION-FUTURE-THING", "own"),
			wantInput: "permission-future-thing", errContains: "must be read, write or admin"},
		{name: "permission in lower case", env: with("input_permission-issues", "read"),
			want: func(c *Config) { c.Permissions = map[string]string{"issues": "read"} }},
		{name: "permission with underscores", env: with("INPUT_PERMISSION_PULL_REQUESTS", "write"),
			want: func(c *Config) { c.Permissions = map[string]string{"pull_requests": "write"} }},
		{name: "permission set twice", env: with("INPUT_PERMISSION-ISSUES", "read", "INPUT_PERMISSION_ISSUES", "write"), wantInput: "permission-issues"},
		{name: "permission set twice alike", env: with("INPUT_PERMISSION-ISSUES", "read", "INPUT_PERMISSION_ISSUES", "READ"),
			want: func(c *Config) { c.Permissions = map[string]string{"issues": "read"} }},
		{name: "permission with bad name", env: with("INPUT_PERMISSION-ISSUES.X", "read"), wantInput: "permission-*"},
		{name: "permission without name", env: with("INPUT_PERMISSION-", "read"), wantInput: "permission-*"},
		{name: "unexpanded permission", env: with("INPUT_PERMISSION-ISSUES", "${{ inputs.level }}"), wantInput: "permission-issues"},

		// flags
		{name: "skip-token-revoke", env: with("INPUT_SKIP-TOKEN-REVOKE", "TRUE"), want: func(c *Config) { c.SkipTokenRevoke = true }},
		{name: "skip-token-revoke false", env: with("INPUT_SKIP-TOKEN-REVOKE", "false")},
		{name: "skip-token-revoke yes", env: with("INPUT_SKIP-TOKEN-REVOKE", "yes"),
			wantInput: "skip-token-revoke", errContains: `must be true or false, got "yes"`},
		{name: "summary", env: with("INPUT_SUMMARY", "False"), want: func(c *Config) { c.Summary = false }},
		{name: "summary whitespace-only", env: with("INPUT_SUMMARY", "  ")},
		{name: "summary number", env: with("INPUT_SUMMARY", "0"), wantInput: "summary"},
		{name: "git-user", env: with("INPUT_GIT-USER", "true"), want: func(c *Config) { c.GitUser = true }},
		{name: "git-user on", env: with("INPUT_GIT-USER", "on"), wantInput: "git-user"},
		{name: "unexpanded git-user", env: with("INPUT_GIT-USER", "${{ inputs.git-user }}"), wantInput: "git-user"},

		// github-api-url
		{name: "GHES API URL with trailing slash", env: with("INPUT_GITHUB-API-URL", "https://ghe.example.com/api/v3//"),
			want: func(c *Config) { c.APIURL = "https://ghe.example.com/api/v3" }},
		{name: "API URL from GITHUB_API_URL", env: with("INPUT_GITHUB-API-URL", "", "GITHUB_API_URL", "https://ghe.example.com/api/v3"),
			want: func(c *Config) { c.APIURL = "https://ghe.example.com/api/v3" }},
		{name: "API URL default", env: with("INPUT_GITHUB-API-URL", "", "GITHUB_API_URL", "")},
		{name: "GHE.com API URL", env: with("INPUT_GITHUB-API-URL", "https://api.octocorp.ghe.com"),
			want: func(c *Config) { c.APIURL = "https://api.octocorp.ghe.com" }},
		{name: "loopback API URL", env: with("INPUT_GITHUB-API-URL", "http://127.0.0.1:8080"),
			want: func(c *Config) { c.APIURL = "http://127.0.0.1:8080" }},
		{name: "API URL without scheme", env: with("INPUT_GITHUB-API-URL", "api.github.com"),
			wantInput: "github-api-url", fixContains: `"https://api.github.com"`},
		{name: "API URL of the github.com web host", env: with("INPUT_GITHUB-API-URL", "https://github.com/"),
			wantInput: "github-api-url", fixContains: "https://api.github.com"},
		{name: "API URL with ftp scheme", env: with("INPUT_GITHUB-API-URL", "ftp://ghe.example.com"), wantInput: "github-api-url"},
		{name: "API URL with query", env: with("INPUT_GITHUB-API-URL", "https://ghe.example.com/api/v3?x=1"), wantInput: "github-api-url"},
		{name: "API URL with fragment", env: with("INPUT_GITHUB-API-URL", "https://ghe.example.com/api/v3#x"), wantInput: "github-api-url"},
		{name: "API URL without host", env: with("INPUT_GITHUB-API-URL", "https:///api/v3"), wantInput: "github-api-url"},
		{name: "API URL with credentials", env: with("INPUT_GITHUB-API-URL", "https://user:hunter2@ghe.example.com/api/v3"),
			wantInput: "github-api-url", errContains: "credentials"},
		{name: "API URL with credentials and no scheme", env: with("INPUT_GITHUB-API-URL", "user:hunter2@ghe.example.com/api/v3"),
			wantInput: "github-api-url", errContains: "credentials"},
		{name: "API URL with wrong GHES path", env: with("INPUT_GITHUB-API-URL", "https://ghe.example.com/api/v4"), warn: "/api/v3",
			want: func(c *Config) { c.APIURL = "https://ghe.example.com/api/v4" }},
		{name: "api.github.com with path", env: with("INPUT_GITHUB-API-URL", "https://api.github.com/api/v3"), warn: "root",
			want: func(c *Config) { c.APIURL = "https://api.github.com/api/v3" }},
		{name: "unexpanded API URL", env: with("INPUT_GITHUB-API-URL", "${{ github.api_url }}"), wantInput: "github-api-url"},

		// runner environment
		{name: "debug", env: with("RUNNER_DEBUG", "1"), want: func(c *Config) { c.Debug = true }},
		{name: "debug other value", env: with("RUNNER_DEBUG", "true")},
		{name: "server URL", env: with("GITHUB_SERVER_URL", "https://ghe.example.com/"),
			want: func(c *Config) { c.ServerURL = "https://ghe.example.com" }},
		{name: "server URL default", env: with("GITHUB_SERVER_URL", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, environ := newAction(t, tt.env)
			got, err := Load(a, environ)
			if tt.wantInput != "" {
				checkInputError(t, err, tt.wantInput, tt.errContains, tt.fixContains)
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			want := baseConfig()
			if tt.want != nil {
				tt.want(&want)
			}
			warnings, notices := rendered(got.Warnings), rendered(got.Notices)
			got.Warnings, got.Notices = nil, nil
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Load() =\n%+v\nwant\n%+v", redacted(*got), redacted(want))
			}
			switch {
			case tt.warn == "" && len(warnings) > 0:
				t.Errorf("Load() warnings = %q, want none", warnings)
			case tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)):
				t.Errorf("Load() warnings = %q, want one containing %q", warnings, tt.warn)
			}
			switch {
			case tt.notice == "" && len(notices) > 0:
				t.Errorf("Load() notices = %q, want none", notices)
			case tt.notice != "" && (len(notices) != 1 || !strings.Contains(notices[0], tt.notice)):
				t.Errorf("Load() notices = %q, want one containing %q", notices, tt.notice)
			}
		})
	}
}

// checkInputError fails t unless err is an *InputError for input whose
// message and fix contain the given strings, and which holds no key material.
func checkInputError(tb testing.TB, err error, input, errContains, fixContains string) {
	tb.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		tb.Fatalf("Load() error = %v, want *InputError for %s", err, input)
	}
	if ie.Input != input {
		tb.Errorf("Load() error input = %q (%v), want %q", ie.Input, err, input)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, ie.Input+": ") || strings.ContainsAny(msg, "\r\n") {
		tb.Errorf("Load() error = %q, want one line starting with %q", msg, ie.Input+": ")
	}
	if !strings.Contains(msg, errContains) {
		tb.Errorf("Load() error = %q, want it to contain %q", msg, errContains)
	}
	next := hint.Next(err)
	if next == "" || !strings.Contains(next, fixContains) {
		tb.Errorf("Load() error hint = %q, want it to contain %q", next, fixContains)
	}
	if r := []rune(next); len(r) > 0 && (unicode.IsUpper(r[0]) || strings.HasSuffix(next, ".")) {
		tb.Errorf("Load() error hint = %q, want it to start in lower case with no final period", next)
	}
	for _, secret := range []string{keyMaterial, "hunter2"} {
		if strings.Contains(msg+next, secret) {
			tb.Errorf("Load() error for %s contains a secret", input)
		}
	}
}

// redacted returns c without its private key, for failure messages.
func redacted(c Config) Config {
	if c.PrivateKey != "" {
		c.PrivateKey = "[redacted]"
	}
	return c
}

// idList returns n distinct repository IDs separated by commas.
func idList(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(1000 + i)
	}
	return strings.Join(s, ",")
}

func TestLoadPost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want PostConfig
	}{
		{name: "nothing saved", env: map[string]string{},
			want: PostConfig{APIURL: "https://api.github.com"}},
		{name: "saved token", env: map[string]string{
			"STATE_token": "ghs_x", "STATE_expires-at": "2025-01-02T15:04:05Z",
			"GITHUB_API_URL": "https://ghe.example.com/api/v3/", "RUNNER_DEBUG": "1",
		}, want: PostConfig{APIURL: "https://ghe.example.com/api/v3", Debug: true, Token: "ghs_x", ExpiresAt: "2025-01-02T15:04:05Z"}},
		{name: "skip-token-revoke", env: map[string]string{"INPUT_SKIP-TOKEN-REVOKE": " True "},
			want: PostConfig{SkipTokenRevoke: true, APIURL: "https://api.github.com"}},
		{name: "invalid skip-token-revoke", env: map[string]string{"INPUT_SKIP-TOKEN-REVOKE": "yes"},
			want: PostConfig{APIURL: "https://api.github.com"}},
		{name: "invalid API URL kept", env: map[string]string{"INPUT_GITHUB-API-URL": "ghe.example.com/"},
			want: PostConfig{APIURL: "ghe.example.com"}},
		{name: "unexpanded API URL", env: map[string]string{"INPUT_GITHUB-API-URL": "${{ github.api_url }}", "GITHUB_API_URL": "https://ghe.example.com/api/v3"},
			want: PostConfig{APIURL: "https://ghe.example.com/api/v3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := newAction(t, tt.env)
			if got := LoadPost(a); got != tt.want {
				t.Errorf("LoadPost() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestForkHint checks that no hint suggests a configuration variable as a
// way to get a value into a workflow run for a pull request from a fork:
// GitHub passes such a run neither secrets nor variables.
func TestForkHint(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{with("INPUT_CLIENT-ID", ""), with("INPUT_PRIVATE-KEY", "")} {
		a, environ := newAction(t, env)
		_, err := Load(a, environ)
		next := hint.Next(err)
		if !strings.Contains(next, "fork") || strings.Contains(next, "can be a variable") || !strings.Contains(next, "variables are both empty") {
			t.Errorf("Load() error hint = %q, want it to say that forks get neither secrets nor variables", next)
		}
	}
}

func TestInputErrorError(t *testing.T) {
	t.Parallel()
	err := &InputError{Input: "permission-issues", Problem: `must be read or write, got "admin"`}
	if got, want := err.Error(), `permission-issues: must be read or write, got "admin"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestPermissionsGenerated checks that permissions.go, and so action.yml,
// is up to date with the shared permission list.
func TestPermissionsGenerated(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/app-permissions.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, levels := range want {
		slices.SortFunc(levels, func(a, b string) int { return slices.Index(allLevels, a) - slices.Index(allLevels, b) })
	}
	if !maps.EqualFunc(permissionLevels, want, slices.Equal) {
		t.Errorf("permissionLevels = %v, want %v; run go generate ./genperms in tools/", permissionLevels, want)
	}
}

var (
	repoNameRE       = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	permissionNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)
)

func FuzzRepositories(f *testing.F) {
	for _, s := range []string{"app", "app, docs\ninfra", "octo-org/app,other/x", "app docs", ".", "..", "App,app", ",\n,", strings.Repeat("x", 101), "a/b/c", "octo-org/", `["app", "octo-org/docs"]`, "[]", "app.git", "https://github.com/octo-org/app.git", "git@github.com:octo-org/app.git", "https://github.com/o/r/tree/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, environ := newAction(t, with("INPUT_REPOSITORIES", s))
		c, err := Load(a, environ)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if len(c.Repositories) > maxRepositories {
			t.Errorf("Load() returned %d repositories, want at most %d", len(c.Repositories), maxRepositories)
		}
		seen := map[string]bool{}
		for _, name := range c.Repositories {
			if !repoNameRE.MatchString(name) || name == "." || name == ".." {
				t.Errorf("Load() returned invalid repository name %q", name)
			}
			if seen[strings.ToLower(name)] {
				t.Errorf("Load() returned repository %q twice", name)
			}
			seen[strings.ToLower(name)] = true
		}
	})
}

func FuzzPermissions(f *testing.F) {
	f.Add("ISSUES", "write")
	f.Add("PULL-REQUESTS", " Read ")
	f.Add("WORKFLOWS", "read")
	f.Add("FUTURE_THING", "admin")
	f.Add("", "read")
	f.Add("a.b", "read")
	f.Add("ISSUES", "${{ x }}")
	f.Fuzz(func(t *testing.T, name, value string) {
		a, environ := newAction(t, with("INPUT_PERMISSION-"+name, value))
		c, err := Load(a, environ)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		for name, level := range c.Permissions {
			if !permissionNameRE.MatchString(name) {
				t.Errorf("Load() returned invalid permission name %q", name)
			}
			allowed, ok := permissionLevels[name]
			if !ok {
				allowed = []string{"read", "write", "admin"}
			}
			if !slices.Contains(allowed, level) {
				t.Errorf("Load() returned permission %s: %q, want one of %q", name, level, allowed)
			}
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Load() error = %v (%T), want *InputError", err, err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, ie.Input+": ") {
		t.Errorf("Load() error = %q, want one line starting with the input", msg)
	}
}

func BenchmarkLoad(b *testing.B) {
	env := with("INPUT_REPOSITORIES", names(500, "\n"))
	for name, levels := range permissionLevels {
		env["INPUT_PERMISSION-"+strings.ToUpper(strings.ReplaceAll(name, "_", "-"))] = levels[len(levels)-1]
	}
	a, environ := newAction(b, env)
	for b.Loop() {
		if _, err := Load(a, environ); err != nil {
			b.Fatal(err)
		}
	}
}
