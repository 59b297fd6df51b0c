package awskms

import (
	"errors"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is AWS KMS's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme: "awskms",
	Name:   "AWS KMS",
	Form:   "awskms:///KEY",
	Inputs: []provider.Input{
		{Name: "aws-role-arn", Usage: "with an awskms key: the IAM role `ARN` to assume with $ACTIONS_ID_TOKEN_REQUEST_* (default: the AWS_* credentials in the environment)"},
	},
	Endpoint: "AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL_STS if set",
	New:      newFromURI,
}

// newFromURI returns the signer of awskms:///KEY.
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error) {
	_, rest, _ := strings.Cut(uri, "://")
	key, ok := strings.CutPrefix(rest, "/")
	if !ok {
		// cosign's awskms://ENDPOINT/KEY names an endpoint; the AWS
		// SDKs' variable does that here.
		return nil, hint.New(errors.New("signing-key: awskms://HOST/KEY is not supported"),
			"write awskms:///KEY (three slashes), and set AWS_ENDPOINT_URL_KMS for another endpoint")
	}
	return provider.Signer(New(Options{Key: key, RoleARN: values["aws-role-arn"], Env: env}))
}
