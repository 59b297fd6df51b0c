package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

func TestInstallations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	r := h.run("", "installations", "-client-id", runnertest.ClientID, "-private-key-file", h.keyFile)
	want := `ID  ACCOUNT     TYPE          REPOSITORIES  SUSPENDED  PERMISSIONS
11  octo-org    Organization  selected      no         contents: write, issues: write, metadata: read, pull_requests: write
12  octocat     User          all           no         contents: read, metadata: read
13  frozen-org  Organization  all           yes        contents: read, metadata: read
14  octo-ent    Enterprise    selected      no         enterprise_custom_properties_for_organizations: write
`
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("installations: exit status %d, stdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", r.code, h.redact(r.stdout), h.redact(r.stderr), want)
	}
	if got := h.requests(); !slices.Equal(got, []string{"GET /app/installations 200"}) {
		t.Errorf("requests = %q, want one GET /app/installations", got)
	}

	r = h.run("", "installations", "--app-id", "1001", "--private-key-file", h.keyFile, "--json")
	var list []installationJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("installations --json: exit status %d, %v; stdout:\n%s", r.code, err, h.redact(r.stdout))
	}
	if len(list) != 4 || list[2].ID != 13 || list[2].Account != "frozen-org" || list[2].AccountType != "Organization" ||
		list[2].RepositorySelection != "all" || !list[2].Suspended || list[2].Permissions["contents"] != "read" || list[1].Suspended {
		t.Errorf("installations --json = %+v", list)
	}
}

// TestInstallationsSuspended checks that the table marks a suspended
// installation, and only that one, in its SUSPENDED column.
func TestInstallationsSuspended(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.env["APP_CLIENT_ID"] = runnertest.ClientID
	h.env["APP_PRIVATE_KEY"] = h.srv.PrivateKeyPEM()
	r := h.run("", "installations")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != 5 {
		t.Fatalf("installations: exit status %d, stdout:\n%s\nstderr:\n%s", r.code, h.redact(r.stdout), h.redact(r.stderr))
	}
	col := strings.Index(lines[0], "SUSPENDED")
	for _, line := range lines[1:] {
		got := strings.Fields(line[col:])[0]
		want := "no"
		if strings.Contains(line, "frozen-org") {
			want = "yes"
		}
		if got != want {
			t.Errorf("SUSPENDED of %q = %s, want %s", line, got, want)
		}
	}
}

func TestInstallationsPages(t *testing.T) {
	t.Parallel()
	world := runnertest.World()
	for i := range 246 {
		world.Installations = append(world.Installations, githubapitest.Installation{
			ID:                  int64(1000 + i),
			Account:             githubapitest.Account{Login: fmt.Sprintf("org-%d", i), ID: int64(50000 + i), Type: "Organization"},
			RepositorySelection: "all",
			Permissions:         map[string]string{"metadata": "read"},
		})
	}
	h := newHarness(t, world)
	r := h.run("", "installations", "-client-id", runnertest.ClientID, "-private-key-file", h.keyFile, "-json")
	var list []installationJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("installations --json: exit status %d, %v; stderr:\n%s", r.code, err, h.redact(r.stderr))
	}
	if len(list) != 250 || list[249].Account != "org-245" {
		t.Errorf("installations --json listed %d installations, want 250", len(list))
	}
	if got := h.requests(); len(got) != 3 {
		t.Errorf("requests = %q, want 3 pages", got)
	}
}

func TestInstallationsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		fault      *githubapitest.Fault
		wantCode   int
		wantStderr string
	}{
		{name: "no app", args: []string{"-private-key-file", "@key"}, wantCode: 2, wantStderr: "app-token: installations: no app: --client-id and --app-id are not set and $APP_CLIENT_ID is empty\n"},
		{name: "argument", args: []string{"-client-id", runnertest.ClientID, "-private-key-file", "@key", "octo-org"}, wantCode: 2, wantStderr: "installations: takes no arguments, got 1"},
		{name: "repository flag", args: []string{"-client-id", runnertest.ClientID, "-private-key-file", "@key", "-owner", "octo-org"}, wantCode: 2, wantStderr: "flag provided but not defined: -owner"},
		{
			name: "bad API URL", args: []string{"-client-id", runnertest.ClientID, "-private-key-file", "@key", "-api-url", "https://user:pw@ghe.example/api/v3"}, wantCode: 2,
			wantStderr: "app-token: --api-url: contains credentials\nhint: remove the user name and password from --api-url;",
		},
		{
			name: "key of another app", args: []string{"-client-id", runnertest.ClientID, "-private-key-file", "@other"}, wantCode: 1,
			wantStderr: "app-token: list the app's installations: GET /app/installations: 401",
		},
		{
			name: "server error", args: []string{"-client-id", runnertest.ClientID, "-private-key-file", "@key"},
			fault:    &githubapitest.Fault{Method: "GET", Path: "/app/installations", Status: 502, Count: -1},
			wantCode: 1, wantStderr: "hint: GitHub did not answer in time or answered with a server error; run the command again",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			if tt.fault != nil {
				h.srv.InjectFault(*tt.fault)
			}
			subst := strings.NewReplacer("@key", h.keyFile, "@other", h.writeFile("other.pem", runnertest.KeyInputs()["other"]))
			args := []string{"installations"}
			for _, a := range tt.args {
				args = append(args, subst.Replace(a))
			}
			r := h.run("", args...)
			if r.code != tt.wantCode || r.stdout != "" || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("exit status %d, stdout %q, stderr %q; want %d, nothing, %q", r.code, h.redact(r.stdout), h.redact(r.stderr), tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestDebug(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	r := h.run("", "installations", "-client-id", runnertest.ClientID, "-private-key-file", h.keyFile, "-debug")
	if r.code != 0 || !strings.Contains(r.stderr, "app-token: debug: ") || !strings.Contains(r.stderr, "/app/installations") {
		t.Errorf("installations --debug: exit status %d, stderr:\n%s\nwant a debug line for GET /app/installations", r.code, h.redact(r.stderr))
	}
}

// TestInstallationsKeyless checks that installations signs with
// --signing-key as token does: the list comes with no private key
// anywhere, and a refused credential fails without showing it.
func TestInstallationsKeyless(t *testing.T) {
	t.Parallel()
	app, _ := runnertest.Keys()
	tests := []struct {
		name     string
		token    func(v *hashivaulttest.Server) string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{name: "VAULT_TOKEN", token: func(v *hashivaulttest.Server) string { return v.Token("signer") }, wantOut: "13  frozen-org"},
		{name: "VAULT_TOKEN refused", token: func(*hashivaulttest.Server) string { return "hvs.NotAVaultTokenAtAll0001" }, wantCode: 1, wantErr: "VAULT_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			v := hashivaulttest.Start(t, hashivaulttest.Config{Key: app, Policies: map[string][]string{"signer": {"transit/sign/github-app"}}})
			token := tt.token(v)
			h.env["VAULT_ADDR"] = v.URL()
			h.env["VAULT_TOKEN"] = token
			r := h.run("", "installations", "--client-id", runnertest.ClientID, "--signing-key", "hashivault://github-app")
			if r.code != tt.wantCode || !strings.Contains(r.stdout, tt.wantOut) || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, %q and %q", r.code, r.stdout, h.redact(r.stderr), tt.wantCode, tt.wantOut, tt.wantErr)
			}
			for _, s := range append(v.Secrets(), token) {
				if strings.Contains(r.stderr+r.stdout, s) {
					t.Error("output shows a Vault credential")
				}
			}
		})
	}
}
