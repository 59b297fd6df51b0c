package awskms

import (
	"context"
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
	// <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>
	// <Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/>
	// <Expiration/></Credentials>... (AWS STS API Reference).
	result := xmlElement(string(resp.Body), "AssumeRoleWithWebIdentityResult")
	cr := xmlElement(result, "Credentials")
	c := credentials{
		AccessKeyID:     xmlElement(cr, "AccessKeyId"),
		SecretAccessKey: xmlElement(cr, "SecretAccessKey"),
		SessionToken:    xmlElement(cr, "SessionToken"),
	}
	for _, x := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken} {
		if x != "" {
			s.o.Mask(x)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return credentials{}, errors.New("AWS STS assume role with web identity: the answer holds no credentials")
	}
	if t, err := time.Parse(time.RFC3339, xmlElement(cr, "Expiration")); err == nil {
		c.Expires = t
	}
	return c, nil
}

// assumeRoleError adds what the token said and the next step to an error
// of AssumeRoleWithWebIdentity.
func (s *Signer) assumeRoleError(err error, token string) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	who := oidc.Describe(token)
	switch e.Code {
	case "AccessDenied":
		repo := "repo:OWNER/REPO:*"
		if sub := oidc.Subject(token); strings.HasPrefix(sub, "repo:") {
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
	return err
}

// parseXMLError reads the error of a Query API answer:
// <ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>
// <Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>.
func parseXMLError(body []byte) (code, message string) {
	e := xmlElement(string(body), "Error")
	return xmlElement(e, "Code"), xmlElement(e, "Message")
}

// xmlElement returns the content of the first element name in doc,
// trimmed and with XML's character references resolved, or "". It reads
// the Query API's answers, whose elements have no attributes, prefixes or
// CDATA; encoding/xml would add some 100 KB to the binary for this.
func xmlElement(doc, name string) string {
	_, rest, ok := strings.Cut(doc, "<"+name+">")
	if !ok {
		return ""
	}
	text, _, ok := strings.Cut(rest, "</"+name+">")
	if !ok {
		return ""
	}
	return unescapeXML(strings.TrimSpace(text))
}

// unescapeXML resolves the five predefined entities and numeric
// character references; it keeps anything else as written.
func unescapeXML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, ';')
		if j < 0 {
			break
		}
		ref, r := s[1:j], rune(-1)
		switch ref {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "apos":
			r = '\''
		case "quot":
			r = '"'
		default:
			if n, ok := strings.CutPrefix(ref, "#x"); ok {
				if v, err := strconv.ParseUint(n, 16, 21); err == nil {
					r = rune(v)
				}
			} else if n, ok := strings.CutPrefix(ref, "#"); ok {
				if v, err := strconv.ParseUint(n, 10, 21); err == nil {
					r = rune(v)
				}
			}
		}
		if r < 0 {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		b.WriteRune(r)
		s = s[j+1:]
	}
	b.WriteString(s)
	return b.String()
}
