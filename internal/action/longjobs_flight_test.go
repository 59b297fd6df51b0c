package action

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/jobdir"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// TestParallelGitMintsOnce is issue 23's "one mint for many processes"
// and "every token minted in a job is revoked", with a real git: eight git
// fetch processes that find no usable token at once (their helper is
// app-token git-credential) cost exactly one mint; git's erase of a
// credential, as after a refusal, leaves the live token on record, and
// the post step revokes every token the command line minted (app-token
// token's too) and says so.
// The cache is the default one in the job directory, or one that
// $APP_TOKEN_CACHE names for the whole job, which the post step honours
// as the command line does.
func TestParallelGitMintsOnce(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	for _, named := range []bool{false, true} {
		t.Run(map[bool]string{false: "job directory", true: "APP_TOKEN_CACHE"}[named], func(t *testing.T) {
			t.Parallel()
			h, gs := newGitJob(t, runnertest.World())
			if named {
				// Set for the job (env:), so the post step has it too.
				h.env["APP_TOKEN_CACHE"] = filepath.Join(h.dir, "elsewhere", "tokens.json")
			}
			main := h.run(false)
			if main.err != nil {
				t.Fatalf("main step: %v\n%s", main.err, main.log)
			}
			extra := map[string]string{"APP_PRIVATE_KEY": h.srv.PrivateKeyPEM()}
			if named {
				extra["APP_TOKEN_CACHE"] = h.env["APP_TOKEN_CACHE"]
			}
			host := newHostStep(t, h, extra)

			// Eight clones with the main step's token, so that the cache is
			// still empty: the helper has minted nothing yet.
			static := fmt.Sprintf("!f() { echo username=x-access-token; echo password=%s; }; f", main.outputs["token"])
			host.must("git -c credential.helper='" + static + "' clone -q " + gs.URL + "/octo-org/app.git w1")
			for i := 2; i <= 8; i++ {
				host.must(fmt.Sprintf("cp -R w1 w%d", i))
			}
			host.must("git config --global credential." + gs.URL + ".helper '!app-token git-credential'")
			mints := func() int { return h.srv.Count("POST", "/app/installations/11/access_tokens") }
			before := mints()
			host.must(`pids=""
				for i in 1 2 3 4 5 6 7 8; do (cd w$i && git fetch -q) & pids="$pids $!"; done
				rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc`)
			if n := mints() - before; n != 1 {
				t.Errorf("8 parallel git fetch with no usable token minted %d tokens, want 1", n)
			}
			if n := len(gs.accepted()); n != 2 {
				t.Errorf("git used %d distinct tokens, want 2: the main step's for the clone, one minted for the 8 fetches", n)
			}

			// git erases a credential (as after the server refused it):
			// the token stops being handed out, and stays for the post step.
			host.must(`printf 'protocol=http\nhost=` + strings.TrimPrefix(gs.URL, "http://") + `\nusername=x-access-token\npassword=not-a-token-of-ours\n\n' | git credential reject`)
			host.must("cd w1 && git fetch -q")
			if n := mints() - before; n != 2 {
				t.Errorf("after git's erase, the next fetch brought the mints to %d, want 2", n)
			}

			// app-token token's own tokens are its caller's, and go on
			// record for the post step all the same.
			if out := host.must("app-token token"); strings.TrimSpace(out) == "" {
				t.Fatal("app-token token printed nothing")
			}
			if n := mints() - before; n != 3 {
				t.Errorf("app-token token brought the mints to %d, want 3", n)
			}

			h.loadState()
			post := h.run(true)
			for _, tok := range h.srv.Tokens() {
				if !tok.Revoked && time.Now().Before(tok.ExpiresAt) {
					t.Errorf("after the post step, a token of installation %d is live\n%s", tok.InstallationID, post.log)
				}
			}
			if want := "Revoked 3 of the 3 tokens the command line minted in this job\n"; !strings.Contains(post.log, want) {
				t.Errorf("post step log lacks %q:\n%s", want, post.log)
			}
			if _, err := os.Stat(h.env["APP_TOKEN_CACHE"]); named && !os.IsNotExist(err) {
				t.Errorf("after the post step, Stat($APP_TOKEN_CACHE) = %v, want not exist", err)
			}
		})
	}
}

// TestPostCountsCachedTokens: the post step revokes the live tokens on
// record and counts the others honestly: revoked earlier (git erased
// them), expired, already revoked.
func TestPostCountsCachedTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.runner.Set("owner", "octocat")
	h.runner.Set("skip-token-revoke", "true")
	main := h.run(false)
	if main.err != nil {
		t.Fatalf("main step: %v\n%s", main.err, main.log)
	}
	live := main.outputs["token"]
	gone := h.run(false).outputs["token"]
	h.srv.ExpireToken(gone)
	cache := tokencache.Cache{Path: filepath.Join(h.dir, jobdir.DirName, jobdir.CacheName)}
	api := h.env["GITHUB_API_URL"]
	for _, e := range []tokencache.Entry{
		{Scope: "s", APIURL: api, InstallationID: 12, Token: live, ExpiresAt: time.Now().Add(time.Hour), Retired: true},
		{Scope: "s", APIURL: api, InstallationID: 12, Token: gone, ExpiresAt: time.Now().Add(time.Hour)},
		{Scope: "s", APIURL: api, InstallationID: 12, Token: "refused", ExpiresAt: time.Now().Add(time.Hour)},
		{Scope: "s", APIURL: api, InstallationID: 12, Token: "old", ExpiresAt: time.Now().Add(-time.Minute)},
	} {
		if err := cache.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := cache.SetRevoked("refused"); err != nil {
		t.Fatal(err)
	}
	h.loadState()
	post := h.run(true)
	want := "Revoked 1 of the 4 tokens the command line minted in this job: 1 revoked earlier, when git reported them refused, 1 had expired, 1 were already revoked or expired\n"
	if !strings.Contains(post.log, want) {
		t.Errorf("post step log lacks %q:\n%s", want, post.log)
	}
	for _, tok := range h.srv.Tokens() {
		if tok.Value == live && !tok.Revoked {
			t.Errorf("the retired token on record is live after the post step")
		}
	}
	if _, err := os.Stat(filepath.Join(h.dir, jobdir.DirName)); !os.IsNotExist(err) {
		t.Errorf("after the post step, Stat(job directory) = %v, want not exist", err)
	}
}

// TestPostCacheNotVisible: a token cache that $APP_TOKEN_CACHE names
// outside what the runner mounts into the post step's container is named
// in a warning, never passed over in silence.
func TestPostCacheNotVisible(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runnertest.World())
	h.runner.Set("owner", "octocat")
	h.env["APP_TOKEN_CACHE"] = "/nonexistent-app-token-test/tokens.json"
	if main := h.run(false); main.err != nil {
		t.Fatalf("main step: %v\n%s", main.err, main.log)
	}
	h.loadState()
	post := h.run(true)
	want := "The command line's token cache $APP_TOKEN_CACHE (/nonexistent-app-token-test/tokens.json) is not visible to this step"
	if !strings.Contains(post.log, want) {
		t.Errorf("post step log lacks %q:\n%s", want, post.log)
	}
}
