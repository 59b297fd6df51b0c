// Package install_test tests cli/install.sh, the composite action's
// installer, offline: a local server plays the GitHub Release.
package install_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// release serves fake release assets as GitHub serves them:
// /releases/download/TAG/NAME and /releases/latest/download/NAME.
type release struct {
	tag       string
	assets    map[string]string // name → content
	checksums string
	mu        sync.Mutex
	got       []string // paths requested
}

// fakeBinary is an asset's content: a script that says which one it is.
func fakeBinary(name string) string { return "#!/bin/sh\necho " + name + "\n" }

func newRelease(tag string) *release {
	r := &release{tag: tag, assets: map[string]string{}}
	var sums strings.Builder
	for _, osArch := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64", "windows_arm64"} {
		name := "app-token_" + osArch
		if strings.HasPrefix(osArch, "windows") {
			name += ".exe"
		}
		r.assets[name] = fakeBinary(name)
		sum := sha256.Sum256([]byte(r.assets[name]))
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	r.checksums = sums.String()
	return r
}

func (r *release) serve(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.got = append(r.got, req.URL.Path)
		r.mu.Unlock()
		name, ok := strings.CutPrefix(req.URL.Path, "/o/r/releases/download/"+r.tag+"/")
		if !ok {
			name, ok = strings.CutPrefix(req.URL.Path, "/o/r/releases/latest/download/")
		}
		switch {
		case !ok:
			http.NotFound(w, req)
		case name == "checksums.txt":
			fmt.Fprint(w, r.checksums)
		case r.assets[name] != "":
			fmt.Fprint(w, r.assets[name])
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/o/r/releases"
}

func TestInstall(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs install.sh with the Unix tools of this machine")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		tamper    func(r *release)
		wantAsset string // the installed binary's content names it; "" means the install fails
		wantBin   string
		wantPath  string // the request path of the asset
		wantErr   string
	}{
		{name: "linux x64", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v1.2.3"},
			wantAsset: "app-token_linux_amd64", wantBin: "app-token", wantPath: "/o/r/releases/download/v1.2.3/app-token_linux_amd64"},
		{name: "macos arm64", env: map[string]string{"RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64", "APP_TOKEN_VERSION": "v1.2.3"},
			wantAsset: "app-token_darwin_arm64", wantBin: "app-token", wantPath: "/o/r/releases/download/v1.2.3/app-token_darwin_arm64"},
		{name: "windows x64", env: map[string]string{"RUNNER_OS": "Windows", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v1.2.3"},
			wantAsset: "app-token_windows_amd64.exe", wantBin: "app-token.exe", wantPath: "/o/r/releases/download/v1.2.3/app-token_windows_amd64.exe"},
		{name: "version from the action's tag", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "ARM64", "APP_TOKEN_ACTION_REF": "v1.2.3"},
			wantAsset: "app-token_linux_arm64", wantBin: "app-token", wantPath: "/o/r/releases/download/v1.2.3/app-token_linux_arm64"},
		{name: "latest for a branch", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_ACTION_REF": "main"},
			wantAsset: "app-token_linux_amd64", wantBin: "app-token", wantPath: "/o/r/releases/latest/download/app-token_linux_amd64"},
		{name: "checksum mismatch", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v1.2.3"},
			tamper:  func(r *release) { r.assets["app-token_linux_amd64"] = fakeBinary("evil") },
			wantErr: "app-token_linux_amd64 of v1.2.3 does not match checksums.txt"},
		{name: "not in checksums", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v1.2.3"},
			tamper:  func(r *release) { r.checksums = "" },
			wantErr: "checksums.txt of v1.2.3 lists no app-token_linux_amd64"},
		{name: "no such release", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v9.9.9"},
			wantErr: "download"},
		{name: "unknown architecture", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "ARM", "APP_TOKEN_VERSION": "v1.2.3"},
			wantErr: `no release binary for the architecture "ARM"`},
		{name: "version injection", env: map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "APP_TOKEN_VERSION": "v1; touch pwned"},
			wantErr: "is not a release tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRelease("v1.2.3")
			if tt.tamper != nil {
				tt.tamper(r)
			}
			url := r.serve(t)
			dir := t.TempDir()
			installDir := filepath.Join(dir, "bin")
			env := append(os.Environ(),
				"APP_TOKEN_RELEASE_URL="+url,
				"APP_TOKEN_INSTALL_DIR="+installDir,
				"GITHUB_PATH="+filepath.Join(dir, "path"),
				"GITHUB_OUTPUT="+filepath.Join(dir, "output"),
				"APP_TOKEN_VERSION=", "APP_TOKEN_ACTION_REF=",
			)
			for k, v := range tt.env {
				env = append(env, k+"="+v)
			}
			cmd := exec.Command("bash", "install.sh")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("install.sh succeeded, want an error with %q\n%s", tt.wantErr, out)
				}
				if !strings.Contains(string(out), tt.wantErr) {
					t.Errorf("install.sh output = %q, want %q", out, tt.wantErr)
				}
				if entries, _ := os.ReadDir(installDir); len(entries) > 0 {
					t.Errorf("a failed install left %d files in the install directory", len(entries))
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "path")); len(b) > 0 {
					t.Errorf("a failed install added %q to PATH", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("install.sh: %v\n%s", err, out)
			}
			bin := filepath.Join(installDir, tt.wantBin)
			run, err := exec.Command(bin).Output()
			if err != nil {
				t.Fatalf("run the installed %s: %v", tt.wantBin, err)
			}
			if got := strings.TrimSpace(string(run)); got != tt.wantAsset {
				t.Errorf("installed binary is %q, want %q", got, tt.wantAsset)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "path")); string(b) != installDir+"\n" {
				t.Errorf("GITHUB_PATH = %q, want %q", b, installDir+"\n")
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "output")); string(b) != "path="+bin+"\n" {
				t.Errorf("GITHUB_OUTPUT = %q, want path=%s", b, bin)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if !strings.Contains(strings.Join(r.got, " "), tt.wantPath) {
				t.Errorf("requests = %q, want %s", r.got, tt.wantPath)
			}
		})
	}
}
