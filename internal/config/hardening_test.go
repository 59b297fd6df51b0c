package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// TestMisplacedInput checks that a private key passed to any input but
// private-key is refused without being quoted, that an unevaluated ${{ }}
// expression in any input is refused without being repeated, and that an
// app-id of any shape that could be an ID is passed on for GitHub to judge.
func TestMisplacedInput(t *testing.T) {
	t.Parallel()
	const expression = "${{ secrets.MISPLACED_SECRET }}"
	type misplaced struct{ name, input, envKey, value, problem, secret string }
	var tests []misplaced
	// Every input action.yml declares, so that a new one cannot skip the
	// checks.
	for input := range readActionFile(t).Inputs {
		envKey := "INPUT_" + strings.ToUpper(input)
		if input != "private-key" {
			tests = append(tests, misplaced{"key in " + input, input, envKey, testKey, "contains a private key", keyMaterial})
		}
		tests = append(tests, misplaced{"expression in " + input, input, envKey, expression, "contains an unexpanded ${{ }} expression", "MISPLACED_SECRET"})
	}
	// A permission input GitHub Enterprise knows but action.yml does not,
	// in the underscore spelling.
	tests = append(tests,
		misplaced{"key in an undeclared permission", "permission-future-thing", "INPUT_PERMISSION_FUTURE_THING", testKey, "contains a private key", keyMaterial},
		misplaced{"expression in an undeclared permission", "permission-future-thing", "INPUT_PERMISSION_FUTURE_THING", expression, "contains an unexpanded ${{ }} expression", "MISPLACED_SECRET"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, environ := newAction(t, with(tt.envKey, tt.value))
			_, err := Load(a, environ)
			var in *InputError
			if !errors.As(err, &in) || in.Input != tt.input || in.Problem != tt.problem {
				t.Fatalf("Load() error = %v, want %s: %s", err, tt.input, tt.problem)
			}
			if strings.Contains(in.Error()+hint.Next(err), tt.secret) {
				t.Errorf("Load() error shows the value")
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
