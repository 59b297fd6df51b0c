package awskms

import (
	"github.com/ghapptoken/app-token-action/internal/appjwt"
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
	Endpoint: "the HOST of awskms://HOST/KEY, AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL_STS if set",
	New:      newFromURI,
}

// newFromURI returns the signer of awskms:///KEY or awskms://HOST/KEY.
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (appjwt.Signer, error) {
	endpoint, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return provider.Signer(New(Options{Key: key, RoleARN: values["aws-role-arn"], Endpoint: endpoint, Env: env}))
}
