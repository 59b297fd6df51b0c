package action

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
)

// badInput is one row of TestBadInput: inputs as a workflow passes them,
// and what the main step must make of them.
type badInput struct {
	name string
	// env overrides the harness's INPUT_* and runner variables; "" unsets.
	// In values, {api} stands for the emulator's API URL and {root} for its
	// address without a base path.
	env map[string]string
	ok  bool // a token is minted
	// input must be named by the error; when GitHub is not asked (api
	// false), the message starts with "<input>: ".
	input string
	fix   string // in the hint, case-insensitively
	// api is set where the mistake only shows in GitHub's answer, so
	// requests are expected. Otherwise the input is certainly wrong and
	// the step must fail before any request.
	api  bool
	ghes bool // the emulator serves the API below /api/v3
}

// TestBadInput runs the main step in-process for each way a workflow gets
// an input wrong, and for each encoding of a good private key. Good input
// mints a token; bad input fails with one ::error:: line that names the
// input and a hint with the fix, without asking GitHub when the input is
// certainly wrong, and never shows key material.
func TestBadInput(t *testing.T) {
	t.Parallel()
	rows := badInputs()
	works := 0
	for _, row := range rows {
		if row.ok {
			works++
		}
	}
	t.Logf("bad input: %d rows, %d must mint a token, %d must fail", len(rows), works, len(rows)-works)
	names := map[string]bool{}
	for _, row := range rows {
		if names[row.name] {
			t.Fatalf("row %q is listed twice", row.name)
		}
		names[row.name] = true
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			if row.ghes {
				world.BasePath = "/api/v3"
			}
			h := newHarness(t, world)
			root := strings.TrimSuffix(h.srv.URL(), world.BasePath)
			for k, v := range row.env {
				h.env[k] = strings.NewReplacer("{api}", h.srv.URL(), "{root}", root).Replace(v)
			}
			tr := h.runTracked(false)
			r := tr.stepRun
			// This includes the material of keys pasted into other inputs.
			checkNoLeaks(t, h, tr)
			log := redactSecrets(h, r.log)
			if row.ok {
				if r.err != nil {
					t.Fatalf("main step error = %q, want a token\nlog:\n%s", redactSecrets(h, r.err.Error()), log)
				}
				if r.outputs["token"] == "" {
					t.Fatalf("outputs = %v, want a token", keysOf(r.outputs))
				}
				return
			}
			if r.err == nil {
				t.Fatalf("main step succeeded, want an error naming %s\nlog:\n%s", row.input, log)
			}
			msg, fix := redactSecrets(h, r.err.Error()), renderedHint(r.err)
			if !row.api && !strings.HasPrefix(msg, row.input+": ") {
				t.Errorf("error = %q, want it to start with %q", msg, row.input+": ")
			}
			if !strings.Contains(msg+" "+fix, row.input) {
				t.Errorf("error = %q, hint = %q; want %s named", msg, fix, row.input)
			}
			if !strings.Contains(strings.ToLower(fix), strings.ToLower(row.fix)) {
				t.Errorf("hint = %q, want it to contain %q (error %q)", fix, row.fix, msg)
			}
			if n := strings.Count(log, "::error::"); n != 1 {
				t.Errorf("log has %d ::error:: lines, want 1:\n%s", n, log)
			}
			if !row.api {
				if reqs := h.srv.Requests(); len(reqs) > 0 {
					t.Errorf("%d requests to the API (first %s %s), want none for certainly wrong input", len(reqs), reqs[0].Method, reqs[0].Path)
				}
			}
			if len(r.outputs) > 0 || len(tokenState(r.state)) > 0 {
				t.Errorf("outputs %v, state %v written by a failed step", keysOf(r.outputs), keysOf(tokenState(r.state)))
			}
		})
	}
}

// badInputs returns the rows of TestBadInput.
func badInputs() []badInput {
	k := keyInputs()
	in := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	key := func(v string) map[string]string { return in("INPUT_PRIVATE-KEY", v) }
	var manyRepos []string
	for i := range 501 {
		manyRepos = append(manyRepos, fmt.Sprintf("repo-%d", i))
	}
	const (
		hintPaste = "including the BEGIN and END lines"
		hintRSA   = "RSA keys"
	)
	return []badInput{
		// client-id and app-id.
		{name: "client-id/fork pull request: client-id and private-key empty", env: in("INPUT_CLIENT-ID", "", "INPUT_PRIVATE-KEY", ""), input: "client-id", fix: "fork"},
		{name: "client-id/whitespace only", env: in("INPUT_CLIENT-ID", " \t "), input: "client-id", fix: "client-id"},
		{name: "client-id/unexpanded", env: in("INPUT_CLIENT-ID", "${{ vars.APP_CLIENT_ID }}"), input: "client-id", fix: "with: block"},
		{name: "client-id/private key pasted", env: in("INPUT_CLIENT-ID", k["pkcs1"]), input: "client-id", fix: "private-key"},
		{name: "client-id/with a space", env: in("INPUT_CLIENT-ID", "Iv23li Test"), input: "client-id", fix: "client ID"},
		{name: "client-id/of another app", env: in("INPUT_CLIENT-ID", "Iv23liSomeOtherApp00"), input: "client-id", fix: "knows no app by that ID", api: true},
		{name: "client-id/surrounding whitespace", env: in("INPUT_CLIENT-ID", "  "+testClientID+"\n"), ok: true},
		{name: "app-id/numeric", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "1001"), ok: true},
		{name: "app-id/ignored next to client-id", env: in("INPUT_APP-ID", "999"), ok: true},
		{name: "app-id/not a number", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "abc"), input: "app-id", fix: "knows no app by that ID", api: true},
		{name: "app-id/decimal", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "1001.0"), input: "app-id", fix: "knows no app by that ID", api: true},
		{name: "app-id/unexpanded", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "${{ vars.APP_ID }}"), input: "app-id", fix: "with: block"},
		{name: "app-id/of no app", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "999"), input: "client-id", fix: "app ID shown", api: true},

		// private-key: the encodings a secret ends up in work.
		{name: "private-key/PKCS#1", env: key(k["pkcs1"]), ok: true},
		{name: "private-key/PKCS#8", env: key(k["pkcs8"]), ok: true},
		{name: "private-key/escaped newlines", env: key(k["escaped"]), ok: true},
		{name: "private-key/CRLF", env: key(k["crlf"]), ok: true},
		{name: "private-key/base64 of the PEM file", env: key(k["base64"]), ok: true},
		{name: "private-key/indented lines", env: key(k["indented"]), ok: true},
		{name: "private-key/in quotes", env: key(k["quoted"]), ok: true},
		{name: "private-key/pasted on one line", env: key(k["oneline"]), ok: true},
		{name: "private-key/blank lines around", env: key("\n\n" + k["pkcs1"] + "\n\n"), ok: true},
		// ... and everything else fails.
		{name: "private-key/fork pull request: empty", env: key(""), input: "private-key", fix: "fork"},
		{name: "private-key/whitespace only", env: key(" \n\t\n "), input: "private-key", fix: "secrets.APP_PRIVATE_KEY"},
		{name: "private-key/unexpanded", env: key("${{ secrets.APP_PRIVATE_KEY }}"), input: "private-key", fix: "with: block"},
		{name: "private-key/shell variable", env: key("$APP_PRIVATE_KEY"), input: "private-key", fix: "does not expand shell variables"},
		{name: "private-key/file path", env: key("./app.private-key.pem"), input: "private-key", fix: "contents of the .pem file"},
		{name: "private-key/fingerprint", env: key("SHA256:2lYHd1e7dM6oKfmDQmQXjx5l1kGyqVWk2y4IYlZ0CzA="), input: "private-key", fix: "fingerprints"},
		{name: "private-key/plain text", env: key("my app key"), input: "private-key", fix: hintPaste},
		{name: "private-key/only the first line", env: key(k["firstline"]), input: "private-key", fix: "END line"},
		{name: "private-key/truncated body", env: key(k["truncated"]), input: "private-key", fix: "END line"},
		{name: "private-key/lines missing in the middle", env: key(k["middle"]), input: "private-key", fix: hintPaste},
		{name: "private-key/corrupt base64", env: key(k["badbase64"]), input: "private-key", fix: hintPaste},
		{name: "private-key/body without BEGIN and END", env: key(k["body"]), input: "private-key", fix: hintPaste},
		{name: "private-key/BEGIN and END do not match", env: key(k["mismatch"]), input: "private-key", fix: hintPaste},
		{name: "private-key/OpenSSH key", env: key(k["openssh"]), input: "private-key", fix: "ssh-keygen -p -m PEM"},
		{name: "private-key/SSH public key", env: key(k["sshpublic"]), input: "private-key", fix: hintRSA},
		{name: "private-key/EC key", env: key(k["ec"]), input: "private-key", fix: hintRSA},
		{name: "private-key/EC key in PKCS#8", env: key(k["ecpkcs8"]), input: "private-key", fix: hintRSA},
		{name: "private-key/public key", env: key(k["public"]), input: "private-key", fix: "app's private key"},
		{name: "private-key/RSA public key", env: key(k["rsapublic"]), input: "private-key", fix: "app's private key"},
		{name: "private-key/encrypted PEM", env: key(k["encrypted"]), input: "private-key", fix: "unencrypted"},
		{name: "private-key/encrypted PKCS#8", env: key(k["encpkcs8"]), input: "private-key", fix: "unencrypted"},
		{name: "private-key/certificate", env: key(k["cert"]), input: "private-key", fix: hintPaste},
		{name: "private-key/two keys pasted together", env: key(k["twokeys"]), input: "private-key", fix: "exactly one block"},
		{name: "private-key/key and certificate", env: key(k["keycert"]), input: "private-key", fix: "exactly one block"},
		{name: "private-key/key of another app", env: key(k["other"]), input: "private-key", fix: "same app", api: true},

		// owner.
		{name: "owner/whitespace only means unset", env: in("INPUT_OWNER", "  "), ok: true},
		{name: "owner/other case", env: in("INPUT_OWNER", "OctoCat"), ok: true},
		{name: "owner/with a space", env: in("INPUT_OWNER", "octo org"), input: "owner", fix: "login of a user or organization"},
		{name: "owner/owner/name", env: in("INPUT_OWNER", "octo-org/app"), input: "owner", fix: "login of a user or organization"},
		{name: "owner/leading hyphen", env: in("INPUT_OWNER", "-octo"), input: "owner", fix: "not starting with a hyphen"},
		{name: "owner/too long", env: in("INPUT_OWNER", strings.Repeat("o", 40)), input: "owner", fix: "at most 39"},
		{name: "owner/unexpanded", env: in("INPUT_OWNER", "${{ github.repository_owner }}"), input: "owner", fix: "with: block"},
		{name: "owner/private key pasted", env: in("INPUT_OWNER", k["pkcs1"]), input: "owner", fix: "private-key"},
		{name: "owner/app not installed", env: in("INPUT_OWNER", "nobody"), input: "nobody", fix: "install the app", api: true},
		{name: "owner/with installation-id", env: in("INPUT_OWNER", "octo-org", "INPUT_INSTALLATION-ID", "11"), input: "installation-id", fix: "not both"},

		// repositories.
		{name: "repositories/comma separated", env: in("INPUT_REPOSITORIES", "app,infra"), ok: true},
		{name: "repositories/newline separated", env: in("INPUT_REPOSITORIES", "app\ninfra\n"), ok: true},
		{name: "repositories/spaces and empty entries", env: in("INPUT_REPOSITORIES", " app , ,infra, "), ok: true},
		{name: "repositories/owner/name", env: in("INPUT_REPOSITORIES", "octo-org/app,octo-org/docs"), ok: true},
		// Set but naming nothing (an expression that came out empty in a
		// block) would widen the token to every repository: an error.
		{name: "repositories/whitespace only is an error, not every repository", env: in("INPUT_REPOSITORIES", " \n "), input: "repositories", fix: "expression"},
		{name: "repositories/semicolon separated", env: in("INPUT_REPOSITORIES", "app;infra"), input: "repositories", fix: "commas or newlines"},
		{name: "repositories/space separated", env: in("INPUT_REPOSITORIES", "app infra"), input: "repositories", fix: "commas or newlines"},
		{name: "repositories/mixed owners", env: in("INPUT_REPOSITORIES", "octo-org/app,octocat/blog"), input: "repositories", fix: "one step per owner"},
		{name: "repositories/501 repositories", env: in("INPUT_REPOSITORIES", strings.Join(manyRepos, ",")), input: "repositories", fix: "at most 500"},
		{name: "repositories/invalid character", env: in("INPUT_REPOSITORIES", "app$"), input: "repositories", fix: "letters, digits"},
		{name: "repositories/URL on another host", env: in("INPUT_REPOSITORIES", "https://gitlab.com/octo-org/app"), input: "repositories", fix: "owner/name"},
		{name: "repositories/URL of the repository is understood", env: in("INPUT_REPOSITORIES", "https://github.com/octo-org/app"), ok: true},
		{name: "repositories/path", env: in("INPUT_REPOSITORIES", "octo-org/app/docs"), input: "repositories", fix: "owner/name"},
		{name: "repositories/dot dot", env: in("INPUT_REPOSITORIES", ".."), input: "repositories", fix: "owner/name"},
		{name: "repositories/name too long", env: in("INPUT_REPOSITORIES", strings.Repeat("r", 101)), input: "repositories", fix: "at most 100"},
		{name: "repositories/unexpanded", env: in("INPUT_REPOSITORIES", "${{ github.event.repository.name }}"), input: "repositories", fix: "with: block"},
		{name: "repositories/not selected for the installation", env: in("INPUT_REPOSITORIES", "secret-repo"), input: "repositories", fix: "Repository access", api: true},
		{name: "repositories/second one not accessible", env: in("INPUT_REPOSITORIES", "app,secret-repo"), input: "repositories", fix: "Repository access", api: true},

		// repository-ids.
		{name: "repository-ids/comma separated", env: in("INPUT_REPOSITORY-IDS", "101, 102"), ok: true},
		{name: "repository-ids/not a number", env: in("INPUT_REPOSITORY-IDS", "abc"), input: "repository-ids", fix: "positive integers"},
		{name: "repository-ids/semicolon separated", env: in("INPUT_REPOSITORY-IDS", "101;102"), input: "repository-ids", fix: "separated by commas"},
		{name: "repository-ids/space separated", env: in("INPUT_REPOSITORY-IDS", "101 102"), input: "repository-ids", fix: "separated by commas"},
		{name: "repository-ids/negative", env: in("INPUT_REPOSITORY-IDS", "-101"), input: "repository-ids", fix: "positive integers"},
		{name: "repository-ids/unexpanded", env: in("INPUT_REPOSITORY-IDS", "${{ github.repository_id }}"), input: "repository-ids", fix: "with: block"},
		{name: "repository-ids/not accessible", env: in("INPUT_REPOSITORY-IDS", "999"), input: "repositories", fix: "Repository access", api: true},

		// installation-id.
		{name: "installation-id/number with spaces", env: in("INPUT_INSTALLATION-ID", " 11 "), ok: true},
		{name: "installation-id/not a number", env: in("INPUT_INSTALLATION-ID", "abc"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/decimal", env: in("INPUT_INSTALLATION-ID", "11.0"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/negative", env: in("INPUT_INSTALLATION-ID", "-11"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/zero", env: in("INPUT_INSTALLATION-ID", "0"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/hexadecimal", env: in("INPUT_INSTALLATION-ID", "0x0b"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/overflow", env: in("INPUT_INSTALLATION-ID", "9223372036854775808"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/two ids", env: in("INPUT_INSTALLATION-ID", "11,12"), input: "installation-id", fix: "numeric installation ID"},
		{name: "installation-id/unexpanded", env: in("INPUT_INSTALLATION-ID", "${{ vars.INSTALLATION_ID }}"), input: "installation-id", fix: "with: block"},
		{name: "installation-id/unknown", env: in("INPUT_INSTALLATION-ID", "99999"), input: "installation-id", fix: "check installation-id", api: true},
		{name: "installation-id/suspended", env: in("INPUT_INSTALLATION-ID", "13"), input: "installation 13", fix: "unsuspend", api: true},

		// enterprise.
		{name: "enterprise/slug", env: in("INPUT_ENTERPRISE", "octo-ent"), ok: true},
		{name: "enterprise/with a space", env: in("INPUT_ENTERPRISE", "octo ent"), input: "enterprise", fix: "enterprise's slug"},
		{name: "enterprise/URL", env: in("INPUT_ENTERPRISE", "https://github.com/enterprises/octo-ent"), input: "enterprise", fix: "enterprise's slug"},
		{name: "enterprise/with owner", env: in("INPUT_ENTERPRISE", "octo-ent", "INPUT_OWNER", "octo-org"), input: "enterprise", fix: "remove owner"},
		{name: "enterprise/with repositories", env: in("INPUT_ENTERPRISE", "octo-ent", "INPUT_REPOSITORIES", "app"), input: "enterprise", fix: "remove repositories"},
		{name: "enterprise/unexpanded", env: in("INPUT_ENTERPRISE", "${{ vars.ENTERPRISE }}"), input: "enterprise", fix: "with: block"},
		{name: "enterprise/not installed", env: in("INPUT_ENTERPRISE", "other-ent"), input: "other-ent", fix: "install the app", api: true},

		// The booleans.
		{name: "skip-token-revoke/true in capitals", env: in("INPUT_SKIP-TOKEN-REVOKE", "TRUE"), ok: true},
		{name: "skip-token-revoke/whitespace only means false", env: in("INPUT_SKIP-TOKEN-REVOKE", " "), ok: true},
		{name: "skip-token-revoke/yes", env: in("INPUT_SKIP-TOKEN-REVOKE", "yes"), input: "skip-token-revoke", fix: "true or false"},
		{name: "skip-token-revoke/1", env: in("INPUT_SKIP-TOKEN-REVOKE", "1"), input: "skip-token-revoke", fix: "true or false"},
		{name: "skip-token-revoke/unexpanded", env: in("INPUT_SKIP-TOKEN-REVOKE", "${{ inputs.skip }}"), input: "skip-token-revoke", fix: "with: block"},
		{name: "summary/no", env: in("INPUT_SUMMARY", "no"), input: "summary", fix: "true or false"},
		{name: "summary/false", env: in("INPUT_SUMMARY", "False"), ok: true},
		{name: "git-user/on", env: in("INPUT_GIT-USER", "on"), input: "git-user", fix: "true or false"},
		{name: "git-user/true", env: in("INPUT_GIT-USER", "true"), ok: true},

		// github-api-url.
		{name: "github-api-url/trailing slash", env: in("INPUT_GITHUB-API-URL", "{api}/"), ok: true},
		{name: "github-api-url/whitespace only means GITHUB_API_URL", env: in("INPUT_GITHUB-API-URL", " "), ok: true},
		{name: "github-api-url/no scheme", env: in("INPUT_GITHUB-API-URL", "api.github.com"), input: "github-api-url", fix: "https://api.github.com"},
		{name: "github-api-url/GHES without scheme", env: in("INPUT_GITHUB-API-URL", "ghe.example.com/api/v3"), input: "github-api-url", fix: "https://ghe.example.com/api/v3"},
		{name: "github-api-url/web address", env: in("INPUT_GITHUB-API-URL", "https://github.com"), input: "github-api-url", fix: "https://api.github.com"},
		{name: "github-api-url/ftp", env: in("INPUT_GITHUB-API-URL", "ftp://api.github.com"), input: "github-api-url", fix: "https://api.github.com"},
		{name: "github-api-url/credentials", env: in("INPUT_GITHUB-API-URL", "https://user:hunter2@ghe.example.com/api/v3"), input: "github-api-url", fix: "Remove the user name and password"},
		{name: "github-api-url/query", env: in("INPUT_GITHUB-API-URL", "https://ghe.example.com/api/v3?x=1"), input: "github-api-url", fix: "no query"},
		{name: "github-api-url/unexpanded", env: in("INPUT_GITHUB-API-URL", "${{ github.api_url }}"), input: "github-api-url", fix: "with: block"},
		{name: "github-api-url/path typo", env: in("INPUT_GITHUB-API-URL", "{api}/api/v4"), input: "github-api-url", fix: "github-api-url", api: true},
		{name: "github-api-url/GHES without /api/v3", env: in("INPUT_GITHUB-API-URL", "{root}"), ghes: true, input: "github-api-url", fix: "github-api-url", api: true},

		// permission-*.
		{name: "permission/read and write", env: in("INPUT_PERMISSION-CONTENTS", "read", "INPUT_PERMISSION-ISSUES", "write"), ok: true},
		{name: "permission/capitals and spaces", env: in("INPUT_PERMISSION-CONTENTS", " Write "), ok: true},
		{name: "permission/whitespace only means unset", env: in("INPUT_PERMISSION-CONTENTS", " "), ok: true},
		{name: "permission/underscore name", env: in("INPUT_PERMISSION_PULL_REQUESTS", "write"), ok: true},
		{name: "permission/unknown level", env: in("INPUT_PERMISSION-ISSUES", "admin"), input: "permission-issues", fix: "read or write"},
		{name: "permission/rw", env: in("INPUT_PERMISSION-CONTENTS", "rw"), input: "permission-contents", fix: "read or write"},
		{name: "permission/none", env: in("INPUT_PERMISSION-PULL-REQUESTS", "none"), input: "permission-pull-requests", fix: "or remove it"},
		{name: "permission/boolean", env: in("INPUT_PERMISSION-CONTENTS", "true"), input: "permission-contents", fix: "read or write"},
		{name: "permission/unexpanded", env: in("INPUT_PERMISSION-CONTENTS", "${{ inputs.level }}"), input: "permission-contents", fix: "with: block"},
		{name: "permission/private key pasted", env: in("INPUT_PERMISSION-CONTENTS", k["pkcs1"]), input: "permission-contents", fix: "private-key"},
		{name: "permission/invalid name", env: in("INPUT_PERMISSION-CONTENTS!", "read"), input: "permission-*", fix: "permission-<name>"},
		{name: "permission/not granted", env: in("INPUT_PERMISSION-ADMINISTRATION", "write"), input: "administration", fix: "Permissions & events", api: true},
		{name: "permission/unknown name", env: in("INPUT_PERMISSION-TELEPORTATION", "read"), input: "teleportation", fix: "Permissions & events", api: true},
	}
}

// TestKeyInputsParse checks the premise of TestBadInput's key rows: each
// encoding of the app's key parses as that key, and nothing else parses.
func TestKeyInputsParse(t *testing.T) {
	t.Parallel()
	app, _ := keys()
	good := map[string]bool{"pkcs1": true, "pkcs8": true, "escaped": true, "crlf": true, "base64": true, "indented": true, "quoted": true, "oneline": true}
	for kind, v := range keyInputs() {
		key, err := appjwt.ParseKey(v)
		switch {
		case kind == "other":
			if err != nil {
				t.Errorf("ParseKey(%s) error = %v, want another app's key", kind, err)
			}
		case good[kind]:
			if err != nil || !key.Equal(app) {
				t.Errorf("ParseKey(%s) error = %v, want the app's key", kind, err)
			}
		case err == nil:
			t.Errorf("ParseKey(%s) succeeded, want an error", kind)
		}
	}
}
