package config

import (
	"errors"
	"strings"
	"testing"
)

// TestMisplacedInput checks that a private key passed to any input but
// private-key is refused without being quoted, and that an app-id that is
// neither a number nor a client ID is refused before GitHub is asked.
func TestMisplacedInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		env         map[string]string
		problem     string
	}{
		{name: "key in owner", input: "owner", env: with("INPUT_OWNER", testKey), problem: "contains a private key"},
		{name: "key in repositories", input: "repositories", env: with("INPUT_REPOSITORIES", testKey), problem: "contains a private key"},
		{name: "key in repository-ids", input: "repository-ids", env: with("INPUT_REPOSITORY-IDS", testKey), problem: "contains a private key"},
		{name: "key in installation-id", input: "installation-id", env: with("INPUT_INSTALLATION-ID", testKey), problem: "contains a private key"},
		{name: "key in enterprise", input: "enterprise", env: with("INPUT_ENTERPRISE", testKey), problem: "contains a private key"},
		{name: "key in github-api-url", input: "github-api-url", env: with("INPUT_GITHUB-API-URL", testKey), problem: "contains a private key"},
		{name: "key in skip-token-revoke", input: "skip-token-revoke", env: with("INPUT_SKIP-TOKEN-REVOKE", testKey), problem: "contains a private key"},
		{name: "key in a permission", input: "permission-contents", env: with("INPUT_PERMISSION-CONTENTS", testKey), problem: "contains a private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, environ := newAction(t, tt.env)
			_, err := Load(a, environ)
			var in *InputError
			if !errors.As(err, &in) || in.Input != tt.input || in.Problem != tt.problem {
				t.Fatalf("Load() error = %v, want %s: %s", err, tt.input, tt.problem)
			}
			if strings.Contains(in.Error()+in.Fix, keyMaterial) {
				t.Errorf("Load() error shows the key")
			}
		})
	}
	// The IDs' shape is GitHub's to check: anything that could be an ID
	// is passed on, and GitHub's 401 or 404 is explained.
	for _, id := range []string{"123456", "Iv23liTest0000000000", "Iv1.0123456789abcdef", "abc", "12.5"} {
		a, environ := newAction(t, with("INPUT_CLIENT-ID", "", "INPUT_APP-ID", id))
		if _, err := Load(a, environ); err != nil {
			t.Errorf("Load() with app-id %q: %v", id, err)
		}
	}
}
