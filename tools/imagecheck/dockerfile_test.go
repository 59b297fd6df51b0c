package imagecheck

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDockerfile(t *testing.T) {
	t.Parallel()
	img, problems := inspect(repoFile(t, "Dockerfile"))
	for _, p := range problems {
		t.Errorf("Dockerfile: %s", p)
	}
	if want := []string{"/usr/local/bin/app-token"}; !slices.Equal(img.entrypoint, want) {
		t.Errorf("Dockerfile ENTRYPOINT = %q, want %q", img.entrypoint, want)
	}
	var paths []string
	for p := range img.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{caBundle, "/usr/local/bin/app-token", "/usr/local/bin/app-token-post"}
	if !slices.Equal(paths, want) {
		t.Errorf("Dockerfile image files = %q, want %q and nothing else", paths, want)
	}
	if v := img.build.scope["VERSION"]; v != "dev" {
		t.Errorf("Dockerfile ARG VERSION default = %q, want %q", v, "dev")
	}
	// One OS thread for Go: the steps start faster (see the Dockerfile).
	if want := []string{"GOMAXPROCS=1"}; !slices.Equal(img.env, want) {
		t.Errorf("Dockerfile final stage ENV = %q, want %q", img.env, want)
	}
}

// TestBuildFilesAndFinalStage checks what other programs (the container
// tests) read to build the image without a build stage: the files the build
// stage makes, and the final stage replayed on a context that holds them.
func TestBuildFilesAndFinalStage(t *testing.T) {
	t.Parallel()
	img := inspectRepo(t)
	wantFiles := []BuildFile{
		{Path: caBundle},
		{Path: "/out/app-token", Binary: true},
		{Path: "/out/app-token-post", Link: "app-token"},
	}
	if got := img.BuildFiles(); !slices.Equal(got, wantFiles) {
		t.Errorf("BuildFiles() = %+v, want %+v", got, wantFiles)
	}
	const want = `FROM scratch
COPY ["ctx/etc/ssl/certs/ca-certificates.crt","/etc/ssl/certs/ca-certificates.crt"]
COPY ["ctx/out/","/usr/local/bin/"]
ENV GOMAXPROCS=1
ENTRYPOINT ["/usr/local/bin/app-token"]
`
	if got := img.FinalStage("ctx"); got != want {
		t.Errorf("FinalStage(%q) =\n%s\nwant\n%s", "ctx", got, want)
	}
	// A COPY's other flags are kept.
	src := mutate(t, "Dockerfile", repoFile(t, "Dockerfile"), "COPY --from=build /out/", "COPY --chmod=755 --from=build /out/")
	img, problems := inspect(src)
	if len(problems) > 0 {
		t.Fatalf("inspect() problems = %q, want none", problems)
	}
	if got := img.FinalStage("ctx"); !strings.Contains(got, "\nCOPY --chmod=755 [\"ctx/out/\",\"/usr/local/bin/\"]\n") {
		t.Errorf("FinalStage() with COPY --chmod =\n%s\nwant the flag kept", got)
	}
}

// TestInspectEnv feeds inspect the real Dockerfile with other ENV lines, in
// the final stage and in the build stage, and wants them read as docker
// build reads them.
func TestInspectEnv(t *testing.T) {
	t.Parallel()
	const line = "ENV GOMAXPROCS=1\n"
	src := repoFile(t, "Dockerfile")
	tests := []struct {
		name     string
		final    string   // replaces line in the final stage
		builder  string   // added before the build stage's ARG VERSION
		wantEnv  []string // the image's environment
		wantVars []string // NAME=value in the go build RUN's scope
	}{
		{"none", "", "", nil, nil},
		{"legacy form", "ENV GOMAXPROCS 1\n", "", []string{"GOMAXPROCS=1"}, nil},
		{"two in one", "ENV GOMAXPROCS=1 GODEBUG=\"madvdontneed=1,x=2\"\n", "", []string{"GOMAXPROCS=1", "GODEBUG=madvdontneed=1,x=2"}, nil},
		{"redefined", "ENV A=1 B=2\nENV A=3\n", "", []string{"A=3", "B=2"}, nil},
		{"expanded with the old values", "ENV A=1\nENV A=2 B=${A}0\n", "", []string{"A=2", "B=10"}, nil},
		{"build stage", line, "ENV GOFLAGS=-mod=mod GOPROXY=off\n", []string{"GOMAXPROCS=1"}, []string{"GOFLAGS=-mod=mod", "GOPROXY=off"}},
		{"quoted ARG default", line, "ARG FLAVOR=\"plain\"\n", []string{"GOMAXPROCS=1"}, []string{"FLAVOR=plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mutated := mutate(t, "Dockerfile", src, line, tt.final)
			mutated = mutate(t, "Dockerfile", mutated, "ARG VERSION", tt.builder+"ARG VERSION")
			img, problems := inspect(mutated)
			if len(problems) > 0 {
				t.Fatalf("inspect() problems = %q, want none", problems)
			}
			if !slices.Equal(img.env, tt.wantEnv) {
				t.Errorf("inspect() env = %q, want %q", img.env, tt.wantEnv)
			}
			for _, kv := range tt.wantVars {
				name, want, _ := strings.Cut(kv, "=")
				if got, ok := img.build.scope[name]; !ok || got != want {
					t.Errorf("inspect() build scope %s = %q (set %t), want %q", name, got, ok, want)
				}
			}
		})
	}
}

// TestDockerfileDefects feeds inspect the real Dockerfile with one defect
// each, and wants it reported.
func TestDockerfileDefects(t *testing.T) {
	t.Parallel()
	const (
		entrypoint = `ENTRYPOINT ["/usr/local/bin/app-token"]`
		copyCA     = "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
		link       = " \\\n && ln -s app-token /out/app-token-post"
	)
	src := repoFile(t, "Dockerfile")
	const platform = "--platform=${BUILDPLATFORM:-linux} "
	builderFrom := regexp.MustCompile(`(?m)^FROM ` + regexp.QuoteMeta(platform) + `(\S+) AS build$`).FindStringSubmatch(src)
	if builderFrom == nil {
		t.Fatal("Dockerfile has no `FROM " + platform + "IMAGE AS build` line to mutate")
	}
	unpinned, _, _ := strings.Cut(builderFrom[1], "@")

	tests := []struct {
		name     string
		old, new string // replace old (which must occur) with new
		want     string // in a reported problem
	}{
		{"USER added", entrypoint, "USER 65532\n" + entrypoint, "USER 65532"},
		{"USER in builder", "WORKDIR /src\n", "WORKDIR /src\nUSER nobody\n", "USER nobody"},
		{"unpinned FROM", builderFrom[1], unpinned, "not pinned by digest"},
		{"shell-form ENTRYPOINT", entrypoint, "ENTRYPOINT /usr/local/bin/app-token", "exec form"},
		{"relative ENTRYPOINT", entrypoint, `ENTRYPOINT ["app-token"]`, "absolute path"},
		{"ENTRYPOINT with args", entrypoint, `ENTRYPOINT ["/usr/local/bin/app-token", "demo"]`, "one absolute path"},
		{"missing symlink", link, "", "app-token-post must be a symlink"},
		{"symlink misnamed", "/out/app-token-post", "/out/app-token-cleanup", "app-token-post must be a symlink"},
		{"symlink to elsewhere", "ln -s app-token ", "ln -s /bin/true ", "app-token-post must be a symlink"},
		{"final stage alpine", "FROM scratch", "FROM alpine:3.22@sha256:" + strings.Repeat("a", 64), "want scratch"},
		{"RUN in final stage", entrypoint, "RUN [\"/usr/local/bin/app-token\", \"version\"]\n" + entrypoint, "RUN in the final stage"},
		{"ADD in final stage", entrypoint, "ADD https://example.com/x /x\n" + entrypoint, "ADD in the final stage"},
		{"WORKDIR in final stage", entrypoint, "WORKDIR /github/workspace\n" + entrypoint, "WORKDIR in the final stage"},
		{"shell copied in", entrypoint, "COPY --from=build /bin/sh /bin/sh\n" + entrypoint, "does not make it"},
		{"copy from another image", entrypoint, "COPY --from=busybox:1.37 /bin/busybox /bin/\n" + entrypoint, "must be --from=build"},
		{"source copied in", entrypoint, "COPY . /src\n" + entrypoint, "must be --from=build"},
		{"no CA bundle", copyCA, "", "no CA bundle"},
		{"binary elsewhere", "-o /out/app-token .", "-o /bin/app-token .", "not the go build output"},
		{"cgo enabled", "CGO_ENABLED=0 ", "", "without CGO_ENABLED=0"},
		{"no -trimpath", "-trimpath ", "", "without -trimpath"},
		{"symbols kept", `"-s -w `, `"`, "lacks -s"},
		{"DWARF kept", `"-s -w `, `"-s `, "lacks -w"},
		{"version not stamped", " -X main.version=${VERSION}", "", "lacks -X main.version=${VERSION}"},
		{"no ARG VERSION", "ARG VERSION=dev\n", "", "no ARG VERSION"},
		{"TARGETARCH not declared", "ARG TARGETARCH\n", "", "without GOARCH=${TARGETARCH}"},
		{"GOOS hard-coded", "GOOS=$TARGETOS", "GOOS=linux", "without GOOS=${TARGETOS}"},
		{"builder not on BUILDPLATFORM", "FROM " + platform, "FROM ", "want $BUILDPLATFORM"},
		{"builder pinned to amd64", platform, "--platform=linux/amd64 ", "want $BUILDPLATFORM"},
		{"BuildKit only", platform, "--platform=$BUILDPLATFORM ", "\"\" under Docker's legacy builder"},
		{"legacy builder pinned to amd64", platform, "--platform=${BUILDPLATFORM:-linux/amd64} ", "\"linux/amd64\" under Docker's legacy builder"},
		{"sources before go mod download", "COPY go.mod go.sum ./", "COPY . .", "before go mod download"},
		{"no go mod download", "RUN " + downloadLine + "\n", "", "without a RUN go mod download"},
		{"commands joined by ;", link, "; ln -s app-token /out/app-token-post", "join its commands with && only"},
		{"no build stage", "go build", "go vet", "no build stage runs go build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := inspect(mutate(t, "Dockerfile", src, tt.old, tt.new))
			t.Logf("problems: %q", problems)
			if !hasProblem(problems, tt.want) {
				t.Errorf("inspect() problems = %q, want one containing %q", problems, tt.want)
			}
		})
	}
}

// TestReadDockerfile checks what ReadDockerfile tells tools/bench: the
// go build command and the environment of the repository's image, and an
// error for a Dockerfile that breaks a rule.
func TestReadDockerfile(t *testing.T) {
	t.Parallel()
	img, err := ReadDockerfile(path.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatalf("ReadDockerfile() error = %v", err)
	}
	if got, want := img.Env(), []string{"GOMAXPROCS=1"}; !slices.Equal(got, want) {
		t.Errorf("Env() = %q, want %q", got, want)
	}
	const out = "/tmp/bench/app-token"
	env, args, err := img.GoBuild("linux", "arm64", out)
	if err != nil {
		t.Fatalf("GoBuild() error = %v", err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"} {
		if !slices.Contains(env, want) {
			t.Errorf("GoBuild() env = %q, want %s in it", env, want)
		}
	}
	ldflags, _ := flagValue(args, "-ldflags")
	if o, _ := flagValue(args, "-o"); len(args) == 0 || args[0] != "build" || o != out ||
		!slices.Contains(args, "-trimpath") || !strings.Contains(ldflags, "-X main.version=dev") {
		t.Errorf("GoBuild() args = %q, want build -trimpath, -ldflags with -X main.version=dev (the ARG's default) and -o %s", args, out)
	}

	broken := path.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(broken, []byte(mutate(t, "Dockerfile", repoFile(t, "Dockerfile"), "FROM scratch", "FROM alpine")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDockerfile(broken); err == nil || !strings.Contains(err.Error(), "want scratch") {
		t.Errorf("ReadDockerfile(final stage alpine) error = %v, want one naming the broken rule", err)
	}
	if _, err := ReadDockerfile(path.Join(t.TempDir(), "missing")); err == nil {
		t.Error("ReadDockerfile(missing file) error = nil, want one")
	}
}

// downloadLine is the builder's module download in the repository's
// Dockerfile, for the defect cases to mutate.
const downloadLine = "go mod download github.com/gofrs/flock github.com/golang-jwt/jwt/v5 github.com/sethvargo/go-githubactions golang.org/x/sys"

// checkDownload checks the builder's go mod download in the Dockerfile src:
// it names the modules the binary is built from (needed), no more, and not
// every module of go.mod, which lists the tests' modules too.
func checkDownload(src string, needed []string) []string {
	m := regexp.MustCompile(`(?m)^RUN go mod download(.*)$`).FindStringSubmatch(src)
	if m == nil {
		return []string{"no RUN go mod download line"}
	}
	got := strings.Fields(m[1])
	if len(got) == 0 {
		return []string{"go mod download fetches every module of go.mod; name the modules the binary needs"}
	}
	var problems []string
	for _, mod := range needed {
		if !slices.Contains(got, mod) {
			problems = append(problems, "go mod download lacks "+mod+", which the binary is built from")
		}
	}
	for _, mod := range got {
		if !slices.Contains(needed, mod) {
			problems = append(problems, "go mod download fetches "+mod+", which the binary is not built from")
		}
	}
	return problems
}

// goListDeps returns what go list -deps -f format . prints for the packages
// the binary is built from, for linux as the image builds it, line by line.
func goListDeps(tb testing.TB, format string) []string {
	tb.Helper()
	cmd := exec.CommandContext(tb.Context(), "go", "list", "-deps", "-f", format, ".")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go list -deps .: %v", err)
	}
	return strings.Fields(string(out))
}

// buildModules returns the modules, other than the main module, of the
// packages the binary is built from, for linux as the image builds it.
func buildModules(tb testing.TB) []string {
	tb.Helper()
	var mods []string
	for _, m := range goListDeps(tb, "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}") {
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	return mods
}

// testSupport reports why the package at importPath must stay out of the
// shipped binary, or "" if it may be in it. module is the main module's path.
func testSupport(module, importPath string) string {
	switch {
	case importPath == "testing" || importPath == "net/http/httptest":
		return "a standard library test package"
	case strings.HasPrefix(importPath, module+"/") && strings.HasSuffix(importPath, "test"):
		return "the project's test support (an emulator or the runner stand-in)"
	}
	return ""
}

// TestBinaryImportsNoTestSupport checks what the architecture promises:
// the shipped binary imports no emulator, no runner stand-in and no
// net/http/httptest, as go list -deps . shows; and that testSupport names
// each of them.
func TestBinaryImportsNoTestSupport(t *testing.T) {
	t.Parallel()
	deps := goListDeps(t, "{{.ImportPath}}")
	module := deps[len(deps)-1] // the main package comes last
	if !strings.HasPrefix(module, "github.com/") {
		t.Fatalf("go list -deps . ends with %q, want the main module's package", module)
	}
	for _, p := range deps {
		if why := testSupport(module, p); why != "" {
			t.Errorf("the binary imports %s, %s", p, why)
		}
	}
	for _, p := range []string{"testing", "net/http/httptest", module + "/internal/githubapi/githubapitest", module + "/internal/runnertest", module + "/internal/oidc/oidctest"} {
		if testSupport(module, p) == "" {
			t.Errorf("testSupport(%q) = \"\", want a reason", p)
		}
	}
	for _, p := range []string{"net/http", "internal/synctest", module + "/internal/githubapi"} {
		if why := testSupport(module, p); why != "" {
			t.Errorf("testSupport(%q) = %q, want \"\"", p, why)
		}
	}
}

// TestModuleDownload checks that the builder downloads the modules the
// binary is built from, as go list -deps reports them, and no others; and
// that checkDownload objects to a download line with one defect each.
func TestModuleDownload(t *testing.T) {
	t.Parallel()
	src := repoFile(t, "Dockerfile")
	needed := buildModules(t)
	if len(needed) == 0 {
		t.Fatal("go list -deps . names no module besides the main one")
	}
	for _, p := range checkDownload(src, needed) {
		t.Errorf("Dockerfile: %s", p)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"every module", downloadLine, "go mod download", "fetches every module"},
		{"a module missing", " github.com/sethvargo/go-githubactions", "", "lacks github.com/sethvargo/go-githubactions"},
		{"a test module", downloadLine, downloadLine + " github.com/rogpeppe/go-internal", "fetches github.com/rogpeppe/go-internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems := checkDownload(mutate(t, "Dockerfile", src, tt.old, tt.new), needed)
			if !hasProblem(problems, tt.want) {
				t.Errorf("checkDownload() = %q, want one containing %q", problems, tt.want)
			}
		})
	}
}
