package kms_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// notProviders are the packages under internal/kms that are no provider.
var notProviders = []string{"kmshttp", "provider"}

// TestProviderChecklist keeps ARCHITECTURE.md's checklist for a KMS
// provider true: each package under internal/kms (but kmshttp and
// provider) is a provider named for its scheme, with its emulator beside
// it and its Spec in register.go; it has one line in the registry, its
// inputs in action.yml and a section in the README's Keyless part; and no
// other package in internal/ names it, its inputs or its environment
// variables, so that adding one changes nothing else there.
func TestProviderChecklist(t *testing.T) {
	t.Parallel()
	specs := map[string]provider.Spec{}
	for _, p := range kms.Providers() {
		specs[p.Scheme] = p
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(notProviders, e.Name()) {
			pkgs = append(pkgs, e.Name())
		}
	}
	if len(pkgs) != len(specs) {
		t.Errorf("internal/kms holds the provider packages %v, and the registry lists %d providers", pkgs, len(specs))
	}

	kmsGo := read(t, "kms.go")
	registry := regexp.MustCompile(`(?m)^\t\t(\w+)\.Provider,$`).FindAllStringSubmatch(kmsGo, -1)
	actionYML := read(t, filepath.Join(root, "action.yml"))
	keyless := readmeSection(t, "## Keyless")
	for _, pkg := range pkgs {
		p, ok := specs[pkg]
		if !ok {
			t.Errorf("package %s: no provider in the registry has the scheme %q (a provider's package is named for its scheme)", pkg, pkg)
			continue
		}
		if _, err := os.Stat(filepath.Join(pkg, pkg+"test")); err != nil {
			t.Errorf("package %s: no emulator beside it in %s/%stest", pkg, pkg, pkg)
		}
		if !strings.Contains(read(t, filepath.Join(pkg, "register.go")), "var Provider = provider.Spec{") {
			t.Errorf("package %s: register.go declares no `var Provider = provider.Spec{…}`", pkg)
		}
		n := 0
		for _, m := range registry {
			if m[1] == pkg {
				n++
			}
		}
		if n != 1 {
			t.Errorf("package %s: %d lines %s.Provider, in kms.Providers, want 1", pkg, n, pkg)
		}
		if _, err := kms.Check(p.Example); err != nil || p.Ambient == "" || p.Check == nil || p.New == nil {
			t.Errorf("package %s: its Spec needs an Example that Check accepts (Check(%q) = %v), Ambient, Check and New", pkg, p.Example, err)
		}
		for _, in := range p.Inputs {
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(in.Name) + `:$`).MatchString(actionYML) {
				t.Errorf("package %s: input %s is not in action.yml", pkg, in.Name)
			}
		}
		if !slices.ContainsFunc(strings.Split(keyless, "\n### ")[1:], func(sec string) bool { return strings.Contains(sec, p.Scheme+"://") }) {
			t.Errorf("package %s: the README's Keyless part has no ### section that shows a %s:// key", pkg, p.Scheme)
		}
	}

	// Nothing else in internal/ names a provider: only tests (the
	// end-to-end stories of each provider), the test support they share
	// (internal/runnertest, which never ships) and internal/kms do.
	names := map[string]string{} // word → what it is
	for _, p := range specs {
		names[p.Scheme] = "the provider " + p.Scheme
		for _, in := range p.Inputs {
			names[in.Name] = p.Scheme + "'s input"
			if in.Env != "" {
				names[in.Env] = p.Scheme + "'s variable"
			}
		}
		for _, v := range regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`).FindAllString(p.Ambient, -1) {
			names[v] = p.Scheme + "'s variable"
		}
	}
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == filepath.Join(root, "internal", "kms") || path == filepath.Join(root, "internal", "runnertest")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		text := read(t, path)
		for word, what := range names {
			if regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(word) + `($|[^\w-])`).MatchString(text) {
				t.Errorf("%s names %s (%s): only internal/kms and the registry's readers may know it", path, word, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// read returns a file's text.
func read(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// readmeSection returns the README's section under heading, up to the
// next heading of its level.
func readmeSection(tb testing.TB, heading string) string {
	tb.Helper()
	readme := read(tb, filepath.Join(root, "README.md"))
	_, rest, ok := strings.Cut(readme, "\n"+heading)
	if !ok {
		tb.Fatalf("README.md has no %q", heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	if i := strings.Index(rest, "\n"+level); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
