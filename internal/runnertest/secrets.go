package runnertest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnerfile"
)

// Secrets is what no log, error or file may show: private-key material,
// the JWTs an emulator received (each also by its signature alone) and the
// tokens it issued. The in-process tests, the scripts' noleak command and
// the CLI tests all check with it.
type Secrets struct {
	key    *keyMaterial
	jwts   []string
	tokens []string
}

// SecretsOf returns the secrets of srv so far, with the key material of
// the test keys and of keys, private-key inputs in any encoding.
func SecretsOf(srv *githubapitest.Server, keys ...string) *Secrets {
	s := &Secrets{key: newKeyMaterial(append(keyPEMs(), keys...)...)}
	for _, j := range srv.JWTs() {
		s.jwts = append(s.jwts, j)
		if i := strings.LastIndex(j, "."); i >= 0 && i+1 < len(j) {
			s.jwts = append(s.jwts, j[i+1:]) // the signature alone
		}
	}
	for _, tok := range srv.Tokens() {
		s.tokens = append(s.tokens, tok.Value)
	}
	return s
}

// Find returns the number of the first line of text that shows a secret,
// and what it shows; 0 and "" if no line does.
func (s *Secrets) Find(text string) (line int, kind string) {
	for i, l := range strings.Split(text, "\n") {
		switch {
		case s.key.find(l) > 0:
			return i + 1, "private key material"
		case containsAny(l, s.jwts):
			return i + 1, "a JWT"
		case containsAny(l, s.tokens):
			return i + 1, "a token"
		}
	}
	return 0, ""
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// CheckLog checks a step's log: no line may show a secret except a
// token's own ::add-mask:: line, and before that line come only warnings
// and the debug lines of requests sent without the token. Each token in
// mustMask must have such a line. It returns the problems found, which say
// where, never what.
func (s *Secrets) CheckLog(log string, mustMask []string) []string {
	var problems []string
	lines := strings.Split(log, "\n")
	var shown []string // the log without add-mask lines
	mask := map[string]int{}
	for i, line := range lines {
		if tok, ok := strings.CutPrefix(line, "::add-mask::"); ok && slices.Contains(s.tokens, tok) {
			if _, seen := mask[tok]; !seen {
				mask[tok] = i
			}
			continue
		}
		shown = append(shown, line)
	}
	if line, kind := s.Find(strings.Join(shown, "\n")); line > 0 {
		problems = append(problems, fmt.Sprintf("log (add-mask lines left out) line %d shows %s", line, kind))
	}
	for _, tok := range mustMask {
		if _, ok := mask[tok]; !ok {
			problems = append(problems, "log has no ::add-mask:: line for the token it created")
		}
	}
	for _, tok := range s.tokens {
		at, ok := mask[tok]
		if !ok {
			continue
		}
		for i, line := range lines[:at] {
			// GET /users/{bot} and DELETE /installation/token are sent
			// with the token; GET /users/{owner}/installation is not.
			tokenAuth := strings.Contains(line, " /installation/token") ||
				strings.Contains(line, " /users/") && !strings.Contains(line, "/installation:")
			// A wait line ("…: waiting 1s before retrying POST /app/…") says
			// why a request made before the token is slow.
			wait := strings.Contains(line, ": waiting ") && strings.Contains(line, " before retrying ")
			// A mask (of a KMS credential, an OIDC token) may come first:
			// the runner shows no ::add-mask:: line, and what it masks is
			// scanned like any other line unless it is a known secret.
			if strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			if !(strings.HasPrefix(line, "::debug::") || strings.HasPrefix(line, "::warning::") || strings.HasPrefix(line, "::notice::") || wait) || tokenAuth {
				problems = append(problems, fmt.Sprintf("log line %d comes before the token's ::add-mask:: line", i+1))
			}
		}
	}
	return problems
}

// CheckFiles checks the runner's files in dir: the summary and env files
// may show no secret, the output and state files only a token as the value
// of the entry "token". It returns the problems found, which say where,
// never what.
func (s *Secrets) CheckFiles(dir string) []string {
	var problems []string
	for _, f := range []string{"summary", "env"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("read %s: %v", f, err))
			continue
		}
		if line, kind := s.Find(string(b)); line > 0 {
			problems = append(problems, fmt.Sprintf("%s file line %d shows %s", f, line, kind))
		}
	}
	for _, f := range []string{"output", "state"} {
		entries, err := readEntriesFile(filepath.Join(dir, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("parse %s file: %s", f, s.Redact(err.Error())))
			continue
		}
		for _, e := range entries {
			if e.Name == "token" && slices.Contains(s.tokens, e.Value) {
				continue
			}
			if line, kind := s.Find(e.Name + "=" + e.Value); line > 0 {
				problems = append(problems, fmt.Sprintf("%s entry %s shows %s", f, e.Name, kind))
			}
		}
	}
	return problems
}

// Redact returns text with the tokens shown as <token> and the JWTs as
// <jwt>, or withheld altogether if it shows key material: for failure
// messages and for what a script prints.
func (s *Secrets) Redact(text string) string {
	for _, tok := range s.tokens {
		text = strings.ReplaceAll(text, tok, "<token>")
	}
	for _, j := range s.jwts {
		text = strings.ReplaceAll(text, j, "<jwt>")
	}
	if s.key.find(text) > 0 {
		return "<withheld: shows private key material>"
	}
	return text
}

// materialWindow is the length of the runs of a key's base64 body that
// must never be shown: short enough to catch a partial echo, long enough
// that no other text matches by chance.
const materialWindow = 16

// keyMaterial is what no log or file may show of private keys: every run
// of materialWindow characters of their base64 bodies.
type keyMaterial struct{ windows map[string]bool }

// newKeyMaterial returns the key material of the given inputs.
func newKeyMaterial(inputs ...string) *keyMaterial {
	m := &keyMaterial{windows: map[string]bool{}}
	for _, v := range inputs {
		m.add(v)
	}
	return m
}

// add adds the base64 runs of v, a private-key input in any encoding.
func (m *keyMaterial) add(v string) {
	v = strings.NewReplacer(`\n`, "\n", `\r`, "\n").Replace(v)
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, `"'`)
		if len(f) < materialWindow || !isBase64(f) {
			continue
		}
		for i := 0; i+materialWindow <= len(f); i++ {
			m.windows[f[i:i+materialWindow]] = true
		}
	}
}

// find returns the number of the first line of text that shows key
// material, or 0.
func (m *keyMaterial) find(text string) int {
	for n, line := range strings.Split(text, "\n") {
		for i := 0; i+materialWindow <= len(line); i++ {
			if m.windows[line[i:i+materialWindow]] {
				return n + 1
			}
		}
	}
	return 0
}

func isBase64(s string) bool {
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == ""
}

// readEntriesFile parses a runner file strictly.
func readEntriesFile(path string) ([]runnerfile.Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return runnerfile.Parse(string(b))
}

// KeyLines counts the lines of a private-key input that are key material.
func KeyLines(key string) int {
	n := 0
	for _, f := range strings.Fields(strings.ReplaceAll(key, `\n`, "\n")) {
		if len(f) >= materialWindow && isBase64(f) {
			n++
		}
	}
	return n
}

// AddTokens adds secrets that, like tokens, may appear in a log only in
// their own ::add-mask:: line: the credentials a KMS client obtains, the
// job's OIDC tokens.
func (s *Secrets) AddTokens(values ...string) {
	for _, v := range values {
		if v != "" {
			s.tokens = append(s.tokens, v)
		}
	}
}

// WithoutTokens returns a copy of s that does not look for tokens, for
// output that rightly shows one, such as app-token token's.
func (s *Secrets) WithoutTokens() *Secrets {
	c := *s
	c.tokens = nil
	return &c
}
