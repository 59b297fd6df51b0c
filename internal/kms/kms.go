// Package kms signs the app's JWT with a key that lives in a cloud KMS or
// in Vault, so that the app's private key never enters a runner. The
// key is named by a URI, in the form sigstore/cosign made familiar:
//
//	awskms:///KEY                 AWS KMS: a key ARN, key ID or alias/NAME
//	gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V
//	hashivault://KEY              Vault Transit (mount transit), or hashivault://MOUNT/KEY
//	azurekms://VAULT.vault.azure.net/KEY[/VERSION]
//
// Each provider has its own package (awskms, gcpkms, hashivault,
// azurekms), with an emulator beside it for tests. Credentials come from
// the job's OIDC token, exchanged by the provider's package when its
// identity input is set, or else from what the provider's own login action
// leaves in the environment. Every credential is handed to Options.Mask
// before use, and appears in no error.
package kms
