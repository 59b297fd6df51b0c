package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestKeylessBadURIInstallsNothing runs the main step with install-cli
// and a signing-key of a known scheme whose rest is not a key: config
// refuses the URI whole, with the provider's next step, before any
// request and before install-cli writes its config.json.
func TestKeylessBadURIInstallsNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ uri, wantErr, wantHint string }{
		{uri: "awskms://alias/app", wantErr: `reads as the endpoint "alias"`, wantHint: "three slashes"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r", wantErr: "not the resource name of a key", wantHint: "signing-key"},
		{uri: "azurekms://v.vault.azure.net/no_such_name!", wantErr: "not a Key Vault key name", wantHint: "signing-key"},
		{uri: "hashivault://", wantErr: "names no key", wantHint: "hashivault://MOUNT/KEY"},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			h.runner.Set("private-key", "")
			h.runner.Set("signing-key", tt.uri)
			h.runner.Set("install-cli", "true")
			main := h.run(false)
			if main.err == nil || !strings.Contains(main.err.Error(), tt.wantErr) || !strings.Contains(hint.Next(main.err), tt.wantHint) {
				t.Fatalf("main step error = %v (hint %q), want %q (hint %q)", main.err, hint.Next(main.err), tt.wantErr, tt.wantHint)
			}
			if n := len(h.srv.Requests()); n != 0 {
				t.Errorf("main step sent %d requests to GitHub, want none", n)
			}
			if _, err := os.Stat(filepath.Join(h.dir, "app-token", "config.json")); !os.IsNotExist(err) {
				t.Errorf("install-cli wrote config.json for a bad signing-key (stat: %v)", err)
			}
		})
	}
}
