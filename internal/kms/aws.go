package kms

import (
	"errors"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms"
)

// newAWS returns the signer of awskms:///KEY; rest is what follows
// "awskms://".
func newAWS(rest string, cfg Config, env Env) (appjwt.Signer, error) {
	key, ok := strings.CutPrefix(rest, "/")
	if !ok {
		// cosign's awskms://ENDPOINT/KEY names an endpoint; the AWS SDKs'
		// variable does that here.
		return nil, hint.New(errors.New("signing-key: awskms://HOST/KEY is not supported"),
			"write awskms:///KEY (three slashes), and set AWS_ENDPOINT_URL_KMS for another endpoint")
	}
	s, err := awskms.New(awskms.Options{
		Key: key, RoleARN: cfg.AWSRoleARN,
		HTTP: env.HTTP, Getenv: env.Getenv, Now: env.Now, Sleep: env.Sleep, Mask: env.Mask,
		OIDC: env.oidcFunc(),
	})
	if err != nil {
		return nil, err // a nil *Signer must not become a non-nil interface
	}
	return s, nil
}
