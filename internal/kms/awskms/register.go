package awskms

import (
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/kms/provider"
)

// Provider is AWS KMS's entry in package kms's registry.
var Provider = provider.Spec{
	Scheme:  "awskms",
	Name:    "AWS KMS",
	Form:    "awskms:///KEY",
	Example: "awskms:///alias/github-app",
	Inputs: []provider.Input{
		{Name: "aws-role-arn", Usage: "with an awskms key: the IAM role `ARN` to assume with $ACTIONS_ID_TOKEN_REQUEST_* (default: the AWS_* credentials in the environment)"},
	},
	Ambient:  "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (aws configure export-credentials --format env)",
	Endpoint: "the HOST of awskms://HOST/KEY, AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL_STS if set",
	Check:    checkURI,
	New:      newFromURI,
}

// checkURI checks awskms:///KEY or awskms://HOST/KEY, and KEY's form.
func checkURI(uri string) error {
	_, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	_, err = checkKey(key)
	return err
}

// newFromURI returns the signer of awskms:///KEY or awskms://HOST/KEY.
func newFromURI(uri string, values map[string]string, env kmshttp.Env) (provider.Signer, error) {
	endpoint, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return provider.Result(New(Options{Key: key, RoleARN: values["aws-role-arn"], Endpoint: endpoint, Env: env}))
}
