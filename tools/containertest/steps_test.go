package containertest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestMainThenPost runs the main step and then the post step in containers,
// with the runner's flags and mounts: the outputs and the state come back
// through the mounted file-command directory, and the post step, started
// through the post-entrypoint symlink, revokes the token.
func TestMainThenPost(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	srv := emulator(t)
	j := newJob(t, srv, srv.URL())

	main := run(t, e, j.Main(img))
	if main.ExitCode != 0 {
		t.Fatalf("main step exit code = %d, want 0; log:\n%s", main.ExitCode, redact(srv, main.Log))
	}
	out, err := j.Runner.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	toks := srv.Tokens()
	if len(toks) != 1 {
		t.Fatalf("emulator issued %d tokens, want 1; requests:\n%s", len(toks), requestLines(srv))
	}
	if out["token"] != toks[0].Value {
		t.Errorf("output token is not the token the emulator issued (%d bytes)", len(out["token"]))
	}
	for name, want := range map[string]string{"installation-id": "42000001", "app-slug": "demo-app"} {
		if out[name] != want {
			t.Errorf("output %s = %q, want %q", name, out[name], want)
		}
	}
	var perms map[string]string
	if err := json.Unmarshal([]byte(out["permissions"]), &perms); err != nil || perms["contents"] != "write" {
		t.Errorf("output permissions = %q, want a JSON object with contents: write", out["permissions"])
	}
	if !strings.Contains(main.Log, "::add-mask::") {
		t.Errorf("main step log has no ::add-mask:: command:\n%s", redact(srv, main.Log))
	}
	// The container's log and the mounted files keep secrets as the
	// in-process steps do: masked first, shown nowhere else.
	secrets := runnertest.SecretsOf(srv, srv.PrivateKeyPEM())
	for _, p := range append(secrets.CheckLog(main.Log, []string{toks[0].Value}), secrets.CheckFiles(j.Runner.Dir)...) {
		t.Errorf("main step: %s", p)
	}
	state, err := j.Runner.State()
	if err != nil {
		t.Fatal(err)
	}
	if state["token"] != toks[0].Value || state["expires-at"] == "" {
		t.Errorf("state has keys %v, want the issued token and its expiry", slices.Sorted(maps.Keys(state)))
	}
	if summary, _ := j.Runner.Summary(); !strings.Contains(summary, "demo-app") {
		t.Errorf("job summary does not name the app:\n%s", redact(srv, summary))
	}

	post, err := j.Post(img)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, e, post)
	if res.ExitCode != 0 || !strings.Contains(res.Log, "Token revoked") {
		t.Errorf("post step exit code %d, log:\n%s\nwant exit 0 and \"Token revoked\"", res.ExitCode, redact(srv, res.Log))
	}
	if n := valid(srv); n != 0 {
		t.Errorf("%d tokens still valid after the post step, want 0; requests:\n%s", n, requestLines(srv))
	}
	t.Logf("docker run wall time: main %v, post %v", main.Wall.Round(1e6), res.Wall.Round(1e6))
}

// TestImageEntrypoint checks that the image starts what action.yml names:
// a workflow that runs the prebuilt image by digest without the runner's
// --entrypoint gets the image's own ENTRYPOINT, which must be action.yml's
// runs.entrypoint. It runs the main step that way.
func TestImageEntrypoint(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	a := action(t)
	if want := []string{a.Runs.Entrypoint}; !slices.Equal(img.Entrypoint, want) {
		t.Errorf("image ENTRYPOINT = %q, want action.yml's runs.entrypoint %q", img.Entrypoint, want)
	}
	srv := emulator(t)
	j := newJob(t, srv, srv.URL())
	j.Action.Runs.Entrypoint = ""
	res := run(t, e, j.Main(img))
	if res.ExitCode != 0 || valid(srv) != 1 {
		t.Errorf("main step with the image's own ENTRYPOINT: exit code %d, %d valid tokens, want 0 and 1; log:\n%s",
			res.ExitCode, valid(srv), redact(srv, res.Log))
	}
}
