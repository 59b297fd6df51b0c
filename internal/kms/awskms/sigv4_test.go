package awskms

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSignV4 checks the signer against vectors of AWS's Signature Version
// 4 test suite (credentials AKIDEXAMPLE, region us-east-1, service
// "service", 2015-08-30T12:36:00Z): get-vanilla, post-vanilla,
// get-vanilla-query-order-key-case, post-x-www-form-urlencoded and
// get-vanilla-with-session-token.
func TestSignV4(t *testing.T) {
	t.Parallel()
	c := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	withToken := c
	withToken.SessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	tests := []struct {
		name, method, url, contentType, body string
		creds                                credentials
		signedHeaders, signature             string
	}{
		{"get-vanilla", "GET", "https://example.amazonaws.com/", "", "", c,
			"host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST", "https://example.amazonaws.com/", "", "", c,
			"host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-query-order-key-case", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "", "", c,
			"host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"post-x-www-form-urlencoded", "POST", "https://example.amazonaws.com/", "application/x-www-form-urlencoded", "Param1=value1", c,
			"content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
		{"get-vanilla-with-session-token", "GET", "https://example.amazonaws.com/", "", "", withToken,
			"host;x-amz-date;x-amz-security-token", "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			signV4(req, []byte(tt.body), tt.creds, "us-east-1", "service", at)
			want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" +
				tt.signedHeaders + ", Signature=" + tt.signature
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("signV4() Authorization = %q, want %q", got, want)
			}
			if got := req.Header.Get("X-Amz-Date"); got != "20150830T123600Z" {
				t.Errorf("signV4() X-Amz-Date = %q, want 20150830T123600Z", got)
			}
		})
	}
}

func TestXMLElement(t *testing.T) {
	t.Parallel()
	doc := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>Not &lt;authorized&gt; &amp; &quot;refused&quot; &apos;x&apos; &#65;&#x42; &bogus; &</Message>
  </Error>
  <RequestId>r</RequestId>
</ErrorResponse>`
	code, msg := parseXMLError([]byte(doc))
	if code != "AccessDenied" || msg != `Not <authorized> & "refused" 'x' AB &bogus; &` {
		t.Errorf("parseXMLError() = %q, %q", code, msg)
	}
	if got := xmlElement(doc, "Missing"); got != "" {
		t.Errorf("xmlElement(Missing) = %q, want empty", got)
	}
}
