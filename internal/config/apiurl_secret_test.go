package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// TestAPIURLSecretNotEchoed checks that a github-api-url carrying a
// credential, in its user info or its query, is refused without showing it.
func TestAPIURLSecretNotEchoed(t *testing.T) {
	t.Parallel()
	const secret = "ghp_s3cr3tTokenValue"
	for _, u := range []string{
		"https://api.github.com/?access_token=" + secret,
		"api.github.com?access_token=" + secret,
		"https://ghe.example.com/api/v3#" + secret,
		"https://x:" + secret + "@ghe.example.com/api/v3",
		"x:" + secret + "@ghe.example.com/api/v3",
	} {
		a, environ := newAction(t, with("INPUT_GITHUB-API-URL", u))
		_, err := Load(a, environ)
		var in *InputError
		if !errors.As(err, &in) || in.Input != "github-api-url" {
			t.Errorf("Load(github-api-url with a secret) error is not an InputError for github-api-url")
			continue
		}
		if strings.Contains(in.Error()+hint.Next(err), secret) {
			t.Errorf("Load(github-api-url with a secret) error shows the secret")
		}
	}
}
