package runnertest

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// Reset readies r for the next job with the same inputs: it removes the
// runner's files (outputs, state, summary, env) and the STATE_* variables
// that [Runner.LoadState] set.
func (r *Runner) Reset() error {
	for _, name := range []string{"output", "state", "summary", "env"} {
		if err := os.Remove(filepath.Join(r.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	maps.DeleteFunc(r.Env, func(k, _ string) bool { return strings.HasPrefix(k, "STATE_") })
	return nil
}
