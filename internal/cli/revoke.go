package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

const revokeDoc = `Revoke revokes an installation access token and prints "token revoked".
It reads the token from the file --token-file, else from standard input,
else, when standard input is a terminal, from the environment variable
GH_TOKEN or GITHUB_TOKEN. The input is the token alone, or the JSON object
app-token token --json prints:

	app-token token --client-id ID --owner octo-org --json > token.json
	app-token revoke --token-file token.json

Unlike the action's post step, revoke fails when GitHub refuses, for
instance because the token was already revoked or has expired.
`

// tokenEnvs are the variables revoke reads the token from when standard
// input is a terminal, in order.
var tokenEnvs = []string{"GH_TOKEN", "GITHUB_TOKEN"}

func revokeCommand() command {
	return command{
		name:    "revoke",
		summary: "revoke an installation token",
		doc:     revokeDoc,
		setup: func(c Command, fs *flag.FlagSet, w *words) func(context.Context, []string) error {
			o := &revokeFlags{}
			fs.StringVar(&o.tokenFile, "token-file", "", "read the token from the file at `path` instead of standard input")
			o.apiFlags.register(fs)
			return func(ctx context.Context, _ []string) error { return o.run(ctx, c) }
		},
	}
}

// revokeFlags are the flags of app-token revoke.
type revokeFlags struct {
	apiFlags
	tokenFile string
}

// run revokes the token: one request, DELETE /installation/token.
func (o *revokeFlags) run(ctx context.Context, c Command) error {
	tok, err := o.readToken(c)
	if err != nil {
		return err
	}
	// Resolved as the post step resolves it: a revocation needs no more.
	apiURL := config.PostAPIURL(o.apiURL, runnerEnv(c, nil))
	ca, err := o.caCertificates(c, "revoke")
	if err != nil {
		return err
	}
	opts, err := c.options(o.debug).WithCACertificates(ca)
	if err != nil {
		return err
	}
	if err := apptoken.Revoke(ctx, opts, apiURL, tok); err != nil {
		return fmt.Errorf("revoke the token: %w", err)
	}
	_, err = fmt.Fprintln(c.Stdout, "token revoked")
	return err
}

// readToken returns the token to revoke, from --token-file, standard input
// or the environment. The token appears in no error.
func (o *revokeFlags) readToken(c Command) (string, error) {
	if strings.ContainsAny(o.tokenFile, "\r\n") {
		return "", usage("revoke", "--token-file takes the path of a file (not shown: it holds a line break)")
	}
	if o.tokenFile == "" && c.stdinIsTerminal() {
		for _, name := range tokenEnvs {
			if v := c.getenv(name); v != "" {
				return parseTokenInput([]byte(v), "$"+name)
			}
		}
		// Reading the terminal would wait, silently, for a paste.
		return "", hint.New(
			&usageError{msg: "revoke: no token: standard input is a terminal, and $" + strings.Join(tokenEnvs, " and $") + " are empty"},
			"pipe the token or the output of app-token token --json in, as in app-token revoke < token.txt, "+
				"or pass --token-file PATH, or export GH_TOKEN")
	}
	b, err := readInput(c, o.tokenFile)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	return parseTokenInput(b, inputName(o.tokenFile))
}

// parseTokenInput returns the token in b: the token alone, or the JSON
// object app-token token --json prints. source names b in errors, which
// never show the token.
func parseTokenInput(b []byte, source string) (string, error) {
	b = bytes.TrimSpace(b)
	tok := string(b)
	if bytes.HasPrefix(b, []byte("{")) {
		var v struct {
			Token *string `json:"token"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return "", hint.New(fmt.Errorf("read the token: %s is not a JSON object from app-token token --json", source),
				"pass the token alone, or the whole output of app-token token --json")
		}
		if v.Token == nil || strings.TrimSpace(*v.Token) == "" {
			return "", hint.New(fmt.Errorf("no token to revoke: %s holds a JSON object without a token", source),
				`pass the output of app-token token --json, whose "token" field is the token, or the token alone`)
		}
		tok = strings.TrimSpace(*v.Token)
	}
	switch {
	case tok == "":
		return "", hint.New(fmt.Errorf("no token to revoke: %s is empty", source),
			"pass the token on standard input, as in app-token revoke < token.txt, or with --token-file")
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", fmt.Errorf("read the token: %s holds more than a token (it has spaces or line breaks)", source)
	}
	return tok, nil
}
