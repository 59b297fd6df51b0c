package awskms

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// assumeRole exchanges the job's OIDC token for the temporary credentials
// of the role, with STS AssumeRoleWithWebIdentity (AWS STS API Reference:
// Query API, form-encoded POST, XML answer; the call needs no AWS
// credentials, so the request is not signed).
func (s *Signer) assumeRole(ctx context.Context) (credentials, error) {
	if s.o.OIDC == nil {
		return credentials{}, hint.New(fmt.Errorf("AWS KMS: get the job's OIDC token for %s: %w", s.o.RoleARN, oidc.ErrUnavailable),
			"give the job permissions: id-token: write, so that it can assume {aws-role-arn} with its OIDC token; workflows triggered from forks get none")
	}
	token, err := s.o.OIDC(ctx, Audience)
	if err != nil {
		return credentials{}, fmt.Errorf("AWS KMS: %w", err)
	}
	s.o.Mask(token)
	form := url.Values{
		"Action":           {"AssumeRoleWithWebIdentity"},
		"Version":          {"2011-06-15"},
		"RoleArn":          {s.o.RoleARN},
		"RoleSessionName":  {s.sessionName},
		"WebIdentityToken": {token},
		"DurationSeconds":  {strconv.Itoa(sessionDuration)},
	}
	body := form.Encode()
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.stsURL, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Accept", "text/xml")
		return req, nil
	}
	resp, err := s.sts.Do(ctx, "assume role with web identity", build, parseXMLError, token)
	if err != nil {
		return credentials{}, s.assumeRoleError(err, token)
	}
	var out struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string
		} `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
	}
	if err := xml.Unmarshal(resp.Body, &out); err != nil {
		return credentials{}, errors.New("AWS STS assume role with web identity: the answer is not XML")
	}
	r := out.Credentials
	c := credentials{AccessKeyID: r.AccessKeyID, SecretAccessKey: r.SecretAccessKey, SessionToken: r.SessionToken}
	for _, x := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken} {
		if x != "" {
			s.o.Mask(x)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return credentials{}, errors.New("AWS STS assume role with web identity: the answer holds no credentials")
	}
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Expiration)); err == nil {
		c.Expires = t
	}
	return c, nil
}

// assumeRoleError adds what the token said and the next step to an error
// of AssumeRoleWithWebIdentity.
func (s *Signer) assumeRoleError(err error, token string) error {
	var e *kmshttp.Error
	if !errors.As(err, &e) {
		return hint.New(err, "re-run the job; AWS STS could not be reached (check the network, proxy and AWS_ENDPOINT_URL_STS)")
	}
	who := oidc.Describe(token)
	switch e.Code {
	case "AccessDenied":
		repo := "repo:OWNER/REPO:*"
		if sub, _, ok := strings.Cut(strings.TrimPrefix(who, "sub "), ","); ok && strings.HasPrefix(sub, "repo:") {
			if r := strings.SplitN(sub, ":", 3); len(r) >= 2 {
				repo = "repo:" + r[1] + ":*"
			}
		}
		return hint.New(fmt.Errorf("%w (the job's OIDC token has %s)", err, who),
			fmt.Sprintf("the trust policy of the role {aws-role-arn} must allow sts:AssumeRoleWithWebIdentity for the federated principal token.actions.githubusercontent.com "+
				"with the conditions token.actions.githubusercontent.com:sub StringLike %s (or narrower) and token.actions.githubusercontent.com:aud %s", repo, Audience))
	case "InvalidIdentityToken", "IDPRejectedClaim":
		return hint.New(fmt.Errorf("%w (the job's OIDC token has %s)", err, who),
			"add GitHub's identity provider to the role's AWS account (IAM, identity providers: OpenID Connect, URL https://token.actions.githubusercontent.com, audience "+Audience+")")
	case "ExpiredTokenException":
		return hint.New(err, "re-run the job; the OIDC token expired before AWS STS saw it (check the runner's clock)")
	case "ValidationError":
		return hint.New(err, "check {aws-role-arn}: it must be a role's ARN, like arn:aws:iam::111122223333:role/NAME, whose maximum session duration is at least 15 minutes")
	case "RegionDisabledException":
		return hint.New(err, "activate STS in the key's region in the AWS account (IAM, account settings), or set AWS_ENDPOINT_URL_STS to another region's endpoint")
	}
	if e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Code == "IDPCommunicationError" || e.Code == "Throttling" {
		return hint.New(err, "re-run the job; AWS STS failed or throttled the request")
	}
	return err
}

// parseXMLError reads the error of a Query API answer:
// <ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>
// <Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>.
func parseXMLError(body []byte) (code, message string) {
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if xml.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Code, e.Message
}
