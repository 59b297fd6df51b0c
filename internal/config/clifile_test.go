package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms"
)

// TestCLIFileRoundTrip checks that the command line, parsing the file the
// action wrote, mints for the same scope as the action, and that the file
// holds no secret input.
func TestCLIFileRoundTrip(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_REPOSITORY": "octo-org/app", "GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_API_URL": "https://ghe.example.com/api/v3"}
	tests := []struct {
		name   string
		values map[string]string
	}{
		{"bare names with the job's owner", map[string]string{"client-id": "Iv23liX", "private-key": testKey, "repositories": "app, infra", "permission-contents": "write", "permission-issues": "read"}},
		{"owner and ids", map[string]string{"app-id": "123", "private-key": testKey, "owner": "octo-org", "repository-ids": "5,6"}},
		{"installation id", map[string]string{"client-id": "Iv23liX", "private-key": testKey, "installation-id": "42"}},
		{"keyless with a secret input", map[string]string{"client-id": "Iv23liX", "signing-key": "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", "gcp-access-token": "ya29.secret", "enterprise": "ent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return env[k] }
			cfg, err := Parse(Inputs{Values: tt.values, Getenv: getenv})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(cfg.CLIFile())
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"PRIVATE KEY", "ya29.secret"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the file holds a secret input")
				}
			}
			f, err := ParseCLIFile(b)
			if err != nil {
				t.Fatal(err)
			}
			in := f.Inputs
			if cfg.Keyless == nil {
				in["private-key"] = testKey // the command line's $APP_PRIVATE_KEY
			} else {
				in["gcp-access-token"] = "ya29.secret"
			}
			// The command line's own environment has no GITHUB_* but what
			// the file names.
			back, err := Parse(Inputs{Values: in, Getenv: func(k string) string {
				return map[string]string{"GITHUB_REPOSITORY": f.Repository, "GITHUB_SERVER_URL": f.ServerURL}[k]
			}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []*Config{cfg, back} {
				c.Warnings, c.Notices, c.PrivateKey = nil, nil, ""
			}
			if !reflect.DeepEqual(back, cfg) {
				t.Errorf("parsed back = %+v\nwant %+v", back, cfg)
			}
		})
	}
}

func TestParseCLIFileRefusesSecrets(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"version":1,"inputs":{"client-id":"x","private-key":"k"}}`,
		`{"version":1,"inputs":{"azure-access-token":"t"}}`,
		`{"version":2,"inputs":{}}`,
		`not json`,
	} {
		if _, err := ParseCLIFile([]byte(body)); err == nil {
			t.Errorf("ParseCLIFile(%s) = nil error", body)
		}
	}
}

// TestCLIFileKeylessInputsFromRegistry checks, for every KMS provider in
// the registry, that the file carries signing-key and each of the
// provider's identity inputs that is not a secret, and no secret one;
// and that ParseCLIFile refuses a file that holds a secret input.
func TestCLIFileKeylessInputsFromRegistry(t *testing.T) {
	t.Parallel()
	for _, p := range kms.Providers() {
		t.Run(p.Scheme, func(t *testing.T) {
			t.Parallel()
			values := map[string]string{"client-id": "Iv23liX", "signing-key": p.Example}
			for _, in := range p.Inputs {
				values[in.Name] = "value-of-" + in.Name
			}
			cfg, err := Parse(Inputs{Values: values, Getenv: func(k string) string {
				return map[string]string{"GITHUB_REPOSITORY": "octo-org/app"}[k]
			}})
			if err != nil {
				t.Fatal(err)
			}
			f := cfg.CLIFile()
			if got := f.Inputs["signing-key"]; got != p.Example {
				t.Errorf("CLIFile() signing-key = %q, want %q", got, p.Example)
			}
			for _, in := range p.Inputs {
				got, ok := f.Inputs[in.Name]
				switch {
				case in.Secret && ok:
					t.Errorf("CLIFile() holds secret input %s", in.Name)
				case !in.Secret && got != values[in.Name]:
					t.Errorf("CLIFile() %s = %q, want %q", in.Name, got, values[in.Name])
				}
				if !in.Secret {
					continue
				}
				body := fmt.Sprintf(`{"version":%d,"inputs":{"client-id":"x",%q:"t"}}`, CLIFileVersion, in.Name)
				if _, err := ParseCLIFile([]byte(body)); err == nil || !strings.Contains(err.Error(), in.Name) {
					t.Errorf("ParseCLIFile(file with %s) error = %v, want one naming it", in.Name, err)
				}
			}
		})
	}
}
