package imagecheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

// repoFile returns the file at rel, a slash-separated path from the
// repository root.
func repoFile(tb testing.TB, rel string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// mutate returns src, the text of the repository's file name, with its
// first old replaced by new. It fails tb when src has no old: a defect case
// whose text has gone from the file must be updated, not pass vacuously.
func mutate(tb testing.TB, name, src, old, new string) string {
	tb.Helper()
	if !strings.Contains(src, old) {
		tb.Fatalf("%s has no %q to mutate; update this case", name, old)
	}
	return strings.Replace(src, old, new, 1)
}

// hasProblem reports whether one of problems contains want.
func hasProblem(problems []string, want string) bool {
	return slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) })
}
