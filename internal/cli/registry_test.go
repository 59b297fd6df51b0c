package cli

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms"
)

// TestKeylessFlagsFromRegistry checks that every identity input of every
// KMS provider reaches the command line as the registry says: a flag of
// the same name for token and installations, or for a secret its
// environment variable, and that hints name each so.
func TestKeylessFlagsFromRegistry(t *testing.T) {
	t.Parallel()
	for _, cmd := range []command{tokenCommand(), installationsCommand()} {
		fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cmd.setup(Command{}, fs, newWords())
		if f := fs.Lookup("signing-key"); f == nil || !strings.Contains(f.Usage, "hashivault://KEY") {
			t.Errorf("%s: --signing-key is missing, or its usage names no URI form", cmd.name)
		}
		for _, p := range kms.Providers() {
			for _, in := range p.Inputs {
				f := fs.Lookup(in.Name)
				word, ok := newWords().field(in.Name)
				switch {
				case in.Secret && f != nil:
					t.Errorf("%s: secret input %s is a flag, which shell history and ps would show", cmd.name, in.Name)
				case in.Secret && (!ok || word != "$"+in.Env):
					t.Errorf("%s: hint word of %s = %q, want $%s", cmd.name, in.Name, word, in.Env)
				case !in.Secret && (f == nil || f.Usage != in.Usage):
					t.Errorf("%s: input %s of %s has no flag with the registry's usage", cmd.name, in.Name, p.Scheme)
				case !in.Secret && (!ok || word != "--"+in.Name):
					t.Errorf("%s: hint word of %s = %q, want --%s", cmd.name, in.Name, word, in.Name)
				}
			}
		}
	}
}

// TestHelpNamesAmbientCredentials checks that the help of each minting
// command names the credentials every provider reads from the
// environment, as the registry says them.
func TestHelpNamesAmbientCredentials(t *testing.T) {
	t.Parallel()
	for _, cmd := range []command{tokenCommand(), installationsCommand(), gitCredentialCommand(), execCommand()} {
		var b strings.Builder
		if err := writeHelp(&b, cmd); err != nil {
			t.Fatal(err)
		}
		help := strings.Join(strings.Fields(b.String()), " ")
		for _, p := range kms.Providers() {
			if !strings.Contains(help, p.Ambient) {
				t.Errorf("help %s does not name %s's credentials %q", cmd.name, p.Scheme, p.Ambient)
			}
		}
	}
}
