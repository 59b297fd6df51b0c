package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

func TestKeyless(t *testing.T) {
	t.Parallel()
	const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name        string
		values      map[string]string
		wantErr     string // "" for success
		wantHint    string
		wantWarning string
		want        *Keyless
	}{
		{
			name:     "neither key",
			values:   map[string]string{},
			wantErr:  "private-key: is empty, and so is signing-key",
			wantHint: "{signing-key}",
		},
		{
			name:     "both keys",
			values:   map[string]string{"private-key": pem, "signing-key": "awskms:///alias/app"},
			wantErr:  "signing-key: cannot be combined with private-key",
			wantHint: "remove {private-key}",
		},
		{
			name:     "not a key URI",
			values:   map[string]string{"signing-key": "kms:alias/app"},
			wantErr:  "signing-key: \"kms:alias/app\" is not a key URI",
			wantHint: "awskms:///KEY",
		},
		{
			name:     "a token pasted as the URI is not quoted whole",
			values:   map[string]string{"signing-key": "ghs_0123456789abcdefghij"},
			wantErr:  `"ghs_01…" is not a key URI`,
			wantHint: "awskms:///KEY",
		},
		{
			name:   "AWS with a role",
			values: map[string]string{"signing-key": "awskms:///alias/app", "aws-role-arn": "arn:aws:iam::123456789012:role/app-token"},
			want:   &Keyless{SigningKey: "awskms:///alias/app", Inputs: map[string]string{"aws-role-arn": "arn:aws:iam::123456789012:role/app-token"}},
		},
		{
			name:        "another provider's input is ignored, with a warning",
			values:      map[string]string{"signing-key": "hashivault://app", "vault-role": "app-token", "aws-role-arn": "arn:aws:iam::1:role/x"},
			wantWarning: "aws-role-arn is ignored: signing-key names a hashivault key",
			want:        &Keyless{SigningKey: "hashivault://app", Inputs: map[string]string{"vault-role": "app-token"}},
		},
		{
			name:        "an identity input without signing-key is ignored, with a warning",
			values:      map[string]string{"private-key": pem, "vault-role": "app-token"},
			wantWarning: "vault-role is ignored: signing-key is not set",
		},
		{
			name:   "GCP with every input",
			values: map[string]string{"signing-key": "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", "gcp-workload-identity-provider": "projects/1/locations/global/workloadIdentityPools/gh/providers/gh", "gcp-service-account": "app@p.iam.gserviceaccount.com"},
			want: &Keyless{SigningKey: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
				Inputs: map[string]string{"gcp-workload-identity-provider": "projects/1/locations/global/workloadIdentityPools/gh/providers/gh", "gcp-service-account": "app@p.iam.gserviceaccount.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values := map[string]string{"client-id": "Iv23liTest"}
			for k, v := range tt.values {
				values[k] = v
			}
			env := map[string]string{"GITHUB_REPOSITORY": "octo-org/app"}
			cfg, err := Parse(Inputs{Values: values, Getenv: func(k string) string { return env[k] }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want %q", err, tt.wantErr)
				}
				if next := hint.Next(err); !strings.Contains(next, tt.wantHint) {
					t.Errorf("Parse() hint = %q, want %q", next, tt.wantHint)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if tt.wantWarning != "" && !strings.Contains(strings.Join(rendered(cfg.Warnings), "\n"), tt.wantWarning) {
				t.Errorf("Parse() warnings = %q, want %q", cfg.Warnings, tt.wantWarning)
			}
			switch {
			case tt.want == nil && cfg.Keyless != nil:
				t.Errorf("Parse() Keyless = %+v, want none", *cfg.Keyless)
			case tt.want != nil && (cfg.Keyless == nil || !reflect.DeepEqual(*cfg.Keyless, *tt.want)):
				t.Errorf("Parse() Keyless = %+v, want %+v", cfg.Keyless, *tt.want)
			case tt.want != nil && cfg.PrivateKey != "":
				t.Errorf("Parse() PrivateKey set with signing-key")
			}
		})
	}
}

// TestKeylessWarningsInOrder checks that the warnings about ignored
// identity inputs come in one order, the inputs' order in action.yml, run
// after run.
func TestKeylessWarningsInOrder(t *testing.T) {
	t.Parallel()
	const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
	values := map[string]string{"client-id": "Iv23liTest", "private-key": pem,
		"azure-client-id": "x", "vault-role": "x", "gcp-service-account": "x", "aws-role-arn": "x"}
	want := "aws-role-arn is ignored: signing-key is not set\n" +
		"gcp-service-account is ignored: signing-key is not set\n" +
		"vault-role is ignored: signing-key is not set\n" +
		"azure-client-id is ignored: signing-key is not set"
	env := map[string]string{"GITHUB_REPOSITORY": "octo-org/app"}
	for range 20 {
		cfg, err := Parse(Inputs{Values: values, Getenv: func(k string) string { return env[k] }})
		if err != nil {
			t.Fatalf("Parse() error = %v", err)
		}
		if got := strings.Join(rendered(cfg.Warnings), "\n"); got != want {
			t.Fatalf("Parse() warnings =\n%s\nwant\n%s", got, want)
		}
	}
}

// rendered returns warnings or notices as the action prints them, each
// input they name written as it is.
func rendered(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = hint.Render(m, hint.Plain)
	}
	return out
}
