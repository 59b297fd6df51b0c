package action

import (
	"fmt"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
)

// summary renders the job summary: what the token can do, never the token.
func summary(cfg *config.Config, res apptoken.Result) string {
	inst, tok := res.Installation, res.Token
	repos := "all repositories of the installation"
	if len(tok.Repositories) > 0 {
		repos = strings.Join(tok.Repositories, ", ")
	} else if tok.RepositorySelection == "selected" {
		repos = "the installation's selected repositories"
	}
	var b strings.Builder
	b.WriteString("### GitHub App token\n\n| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, cell(v)) }
	row("App", inst.AppSlug)
	row("Account", fmt.Sprintf("%s (%s)", apptoken.AccountName(inst), inst.AccountType))
	row("Installation", fmt.Sprint(inst.ID))
	row("Repositories", repos)
	row("Permissions", apptoken.FormatPermissions(tok.Permissions))
	row("Expires", tok.ExpiresAt.UTC().Format(time.RFC3339))
	if cfg.SkipTokenRevoke {
		row("Revocation", "skipped (skip-token-revoke)")
	} else {
		row("Revocation", "at the end of the job")
	}
	return b.String()
}

// cellEscaper escapes a value for a Markdown table cell. It is built once:
// a Replacer prepares its tables on first use.
var cellEscaper = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'")

// cell escapes a value for a Markdown table cell.
func cell(s string) string { return cellEscaper.Replace(s) }
