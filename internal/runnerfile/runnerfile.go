// Package runnerfile reads the files through which a GitHub Actions step
// sets outputs and state ($GITHUB_OUTPUT, $GITHUB_STATE), the way the
// runner reads them. The demo, the tests and the benchmarks use it to see
// exactly what a workflow would see.
package runnerfile

import (
	"fmt"
	"strings"
)

// Entry is one name and value, in the order written.
type Entry struct {
	Name, Value string
}

// Parse reads a file of "name=value" lines and "name<<DELIMITER" blocks
// ended by a line holding only DELIMITER. Unlike the runner, it is strict: a
// line that is neither, an unterminated block, a value spanning several
// lines, or an empty name is an error, since the action never writes them.
func Parse(data string) ([]Entry, error) {
	var out []Entry
	lines := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: empty name or delimiter", i+1)
			}
			var value []string
			j := i + 1
			for ; j < len(lines) && lines[j] != delim; j++ {
				value = append(value, lines[j])
			}
			if j == len(lines) {
				return nil, fmt.Errorf("line %d: %s: no closing delimiter", i+1, name)
			}
			if len(value) > 1 {
				return nil, fmt.Errorf("line %d: %s: value spans %d lines", i+1, name, len(value))
			}
			out = append(out, Entry{Name: name, Value: strings.Join(value, "")})
			i = j
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: neither name=value nor name<<delimiter", i+1)
		}
		out = append(out, Entry{Name: name, Value: value})
	}
	return out, nil
}

// Map returns entries as a map; a later entry wins, as in the runner.
func Map(entries []Entry) map[string]string {
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		m[e.Name] = e.Value
	}
	return m
}
