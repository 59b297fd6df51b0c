package apptoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// ErrTokenInvalid is what [Revoke] returns, wrapped, when GitHub refuses
// the token itself: it was revoked already or has expired (or belongs to
// another GitHub).
var ErrTokenInvalid = errors.New("the token was already revoked or has expired")

// Revoke revokes token at apiURL, bounded by the revocation deadline: one
// request, DELETE /installation/token. Its errors carry a next step; the
// caller says what failed ("revoke the token: …").
func Revoke(ctx context.Context, o Options, apiURL, token string) error {
	ctx, cancel := context.WithTimeout(ctx, o.revokeDeadline())
	defer cancel()
	err := o.client(apiURL, nil).RevokeToken(ctx, token)
	if err == nil {
		return nil
	}
	return explainCall(err, "", func(err error, apiErr *githubapi.Error) error {
		if apiErr.Status == http.StatusUnauthorized {
			return hint.New(fmt.Errorf("%w: %w", ErrTokenInvalid, err),
				"nothing to revoke, unless the token belongs to another GitHub: check {github-api-url}")
		}
		return nil
	})
}

// RevokeUnused revokes a token that nobody received, so that it does not
// stay valid for an hour. It runs even when ctx is done (the caller may be
// failing for that very reason), bounded as [Revoke] is.
func RevokeUnused(ctx context.Context, o Options, apiURL, token string) error {
	return Revoke(context.WithoutCancel(ctx), o, apiURL, token)
}
