package apptoken

import (
	"context"

	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// ListInstallations returns the installations of the app r names (its
// issuer, key and API URL; the scope fields are not used), bounded as a
// mint is: one request per page of 100. Its errors carry a next step.
func ListInstallations(ctx context.Context, o Options, r Request) ([]githubapi.Installation, error) {
	ctx, cancel := context.WithTimeout(ctx, o.mintDeadline())
	defer cancel()
	k, err := o.key(r)
	if err != nil {
		return nil, err
	}
	if err := k.signFirst(ctx, o); err != nil {
		return nil, err
	}
	list, err := o.client(r.APIURL, k).ListInstallations(ctx)
	if err != nil {
		return nil, k.explainRefusal(ctx, explainAppCall(r, "list the app's installations", err))
	}
	return list, nil
}
