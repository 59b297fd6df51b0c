package imagecheck

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// goreleaserBuild is the part of a .goreleaser.yaml build the checks read.
type goreleaserBuild struct {
	Main    string   `yaml:"main"`
	Binary  string   `yaml:"binary"`
	Env     []string `yaml:"env"`
	Goos    []string `yaml:"goos"`
	Goarch  []string `yaml:"goarch"`
	Flags   []string `yaml:"flags"`
	Ldflags []string `yaml:"ldflags"`
}

// goreleaserConfig is the part of .goreleaser.yaml the checks read.
type goreleaserConfig struct {
	Version  int               `yaml:"version"`
	Builds   []goreleaserBuild `yaml:"builds"`
	Archives []struct {
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Release struct {
		Disable bool `yaml:"disable"`
	} `yaml:"release"`
}

// versionFlag is the linker flag that stamps the version `app-token
// version` prints, with GoReleaser's template for the tag.
const versionFlag = "-X main.version={{ .Tag }}"

// checkGoreleaser checks .goreleaser.yaml for what the release and the
// README promise: one build of the module root, static (CGO_ENABLED=0),
// for linux, darwin and windows on amd64 and arm64, with -trimpath and the
// version stamped as the Dockerfile stamps it; bare binaries named
// app-token_OS_ARCH, a SHA-256 checksums.txt, and no publishing by
// GoReleaser (the workflow attests, then publishes a draft).
func checkGoreleaser(src []byte) (goreleaserBuild, []string, error) {
	var cfg goreleaserConfig
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		return goreleaserBuild{}, nil, fmt.Errorf("parse .goreleaser.yaml: %w", err)
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if cfg.Version != 2 {
		add("version is %d, want 2", cfg.Version)
	}
	if len(cfg.Builds) != 1 {
		add("want one build, found %d", len(cfg.Builds))
		return goreleaserBuild{}, problems, nil
	}
	b := cfg.Builds[0]
	if b.Main != "." && b.Main != "" {
		add("build main is %q, want . (the module root, which go install builds)", b.Main)
	}
	if b.Binary != "app-token" {
		add("build binary is %q, want app-token", b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		add("build env lacks CGO_ENABLED=0; the binaries must be static")
	}
	for _, want := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(b.Goos, want) {
			add("build goos lacks %s", want)
		}
	}
	for _, want := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, want) {
			add("build goarch lacks %s", want)
		}
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		add("build flags lack -trimpath")
	}
	if !strings.Contains(strings.Join(b.Ldflags, " "), versionFlag) {
		add("build ldflags lack %s", versionFlag)
	}
	if len(cfg.Archives) != 1 || !slices.Equal(cfg.Archives[0].Formats, []string{"binary"}) {
		add("want one archive of formats [binary], the bare binaries")
	} else if cfg.Archives[0].NameTemplate != "{{ .Binary }}_{{ .Os }}_{{ .Arch }}" {
		add("archive name_template is %q, want {{ .Binary }}_{{ .Os }}_{{ .Arch }} (the README's download names)", cfg.Archives[0].NameTemplate)
	}
	if cfg.Checksum.NameTemplate != "checksums.txt" || cfg.Checksum.Algorithm != "sha256" {
		add("checksum is %q by %q, want checksums.txt by sha256", cfg.Checksum.NameTemplate, cfg.Checksum.Algorithm)
	}
	if !cfg.Release.Disable {
		add("release is not disabled; the workflow publishes the release after attesting the files")
	}
	return b, problems, nil
}

func TestGoreleaserConfig(t *testing.T) {
	t.Parallel()
	src := repoFile(t, ".goreleaser.yaml")
	_, problems, err := checkGoreleaser([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf(".goreleaser.yaml: %s", p)
	}

	t.Run("defects", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct{ name, old, new, want string }{
			{"cgo", "      - CGO_ENABLED=0", "      - CGO_ENABLED=1", "CGO_ENABLED=0"},
			{"no windows", "goos: [linux, darwin, windows]", "goos: [linux, darwin]", "goos lacks windows"},
			{"no arm64", "goarch: [amd64, arm64]", "goarch: [amd64]", "goarch lacks arm64"},
			{"no version", "-X main.version={{ .Tag }}", "-X main.commit={{ .Commit }}", "ldflags lack"},
			{"build paths", "      - -trimpath", "      - -v", "-trimpath"},
			{"archives", "formats: [binary]", "formats: [tar.gz]", "formats [binary]"},
			{"no checksums", "algorithm: sha256", "algorithm: crc32", "checksums.txt by sha256"},
			{"GoReleaser publishes", "release:\n  disable: true", "release:\n  draft: true", "release is not disabled"},
		} {
			_, problems, err := checkGoreleaser([]byte(mutate(t, ".goreleaser.yaml", src, tt.old, tt.new)))
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(problems, tt.want) {
				t.Errorf("%s: checkGoreleaser() = %q, want one containing %q", tt.name, problems, tt.want)
			}
		}
	})
}

// TestGoreleaserBuilds builds the CLI for every platform of .goreleaser.yaml
// as GoReleaser would (its env, flags and ldflags, with .Tag a test
// version), two at a time, and checks each binary: static (no ELF
// interpreter or shared libraries on linux; CGO_ENABLED=0 in the build
// info everywhere), and stamped with the version (-X main.version), which the linux/amd64
// binary must print when this machine can run it. GoReleaser itself (a large
// module graph, pinned in tools/release/go.mod) runs in .ci/run, followed by
// the release's own collect-assets.sh; this test keeps the module's tests
// free of that graph.
func TestGoreleaserBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds six binaries")
	}
	t.Parallel()
	b, problems, err := checkGoreleaser([]byte(repoFile(t, ".goreleaser.yaml")))
	if err != nil || len(problems) > 0 {
		t.Fatalf("checkGoreleaser() = %q, %v; see TestGoreleaserConfig", problems, err)
	}
	const version = "v9.8.7-test"
	ldflags := strings.ReplaceAll(strings.Join(b.Ldflags, " "), "{{ .Tag }}", version)
	if strings.Contains(ldflags, "{{") {
		t.Fatalf("ldflags %q use a template this test does not fill", ldflags)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type target struct{ goos, goarch, out string }
	var targets []target
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			targets = append(targets, target{goos, goarch, filepath.Join(dir, b.Binary+"_"+goos+"_"+goarch)})
		}
	}
	// Two builds at a time: each go build is parallel inside already.
	sem := make(chan struct{}, 2)
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			args := append([]string{"build"}, b.Flags...)
			args = append(args, "-ldflags", ldflags, "-o", tg.out, b.Main)
			cmd := exec.CommandContext(t.Context(), "go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), append(slices.Clone(b.Env), "GOOS="+tg.goos, "GOARCH="+tg.goarch, "GOFLAGS=")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s/%s: %w\n%s", tg.goos, tg.goarch, err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		t.Run(tg.goos+"_"+tg.goarch, func(t *testing.T) {
			info, err := buildinfo.ReadFile(tg.out)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			if settings["CGO_ENABLED"] != "0" {
				t.Errorf("build info CGO_ENABLED = %q, want 0", settings["CGO_ENABLED"])
			}
			// The build info has no -ldflags under -trimpath; the -X value
			// is a string in the binary.
			if bin, err := os.ReadFile(tg.out); err != nil || !bytes.Contains(bin, []byte(version)) {
				t.Errorf("%s does not contain its version %s (%v)", filepath.Base(tg.out), version, err)
			}
			if settings["GOOS"] != tg.goos || settings["GOARCH"] != tg.goarch {
				t.Errorf("build info GOOS/GOARCH = %s/%s, want %s/%s", settings["GOOS"], settings["GOARCH"], tg.goos, tg.goarch)
			}
			if tg.goos == "linux" {
				checkStatic(t, tg.out)
			}
			if tg.goos == "linux" && runtime.GOOS == "linux" && tg.goarch == runtime.GOARCH {
				out, err := exec.CommandContext(t.Context(), tg.out, "version").CombinedOutput()
				if err != nil || !bytes.Contains(out, []byte(version)) {
					t.Errorf("%s version = %q, %v; want it to name %s", filepath.Base(tg.out), out, err, version)
				}
			}
		})
	}
}

// checkStatic fails t unless the ELF file at p is statically linked: no
// program interpreter and no shared libraries.
func checkStatic(t *testing.T, p string) {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s has an ELF interpreter; it is not static", filepath.Base(p))
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q (%v); it is not static", filepath.Base(p), libs, err)
	}
}
