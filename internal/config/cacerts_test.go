package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testCA returns a new self-signed CA certificate as PEM.
func testCA(tb testing.TB, name string) string {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(1<<32, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestCACertificates(t *testing.T) {
	t.Parallel()
	ca1, ca2 := testCA(t, "GHES CA 1"), testCA(t, "GHES CA 2")
	body := func(p string) string { // the base64 lines of a PEM block
		p = strings.TrimPrefix(p, "-----BEGIN CERTIFICATE-----\n")
		return strings.TrimSuffix(p, "-----END CERTIFICATE-----\n")
	}
	tests := []struct {
		name, value, want        string
		errContains, fixContains string
	}{
		{name: "one certificate", value: ca1, want: ca1},
		{name: "bundle with text, CRLF and indentation", value: "# GHES CA 1\r\n" + strings.ReplaceAll(ca1, "\n", "\r\n") + "\nsubject=GHES CA 2\n  " + ca2, want: ca1 + ca2},
		{name: "headers dropped", value: strings.Replace(ca1, "-----\n", "-----\nComment: x\n\n", 1), want: ca1},
		{name: "literal \\n escapes", value: strings.ReplaceAll(strings.TrimSpace(ca1), "\n", `\n`), want: ca1},
		{name: "not PEM", value: "ghs_notACertificateAtAll", errContains: `has no PEM certificate (it starts with "ghs_notACe…")`, fixContains: "-----BEGIN CERTIFICATE-----"},
		{name: "base64 only", value: body(ca1), errContains: "has no PEM certificate"},
		{name: "END line missing", value: strings.TrimSuffix(ca1, "-----END CERTIFICATE-----\n"), errContains: "not valid PEM", fixContains: "whole certificate"},
		{name: "second block cut short", value: ca1 + ca2[:len(ca2)/2], errContains: "not valid PEM"},
		{name: "garbage in a block", value: "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n", errContains: "certificate 1 does not parse"},
		{name: "public key block", value: ca1 + strings.ReplaceAll(ca2, "CERTIFICATE", "PUBLIC KEY"), errContains: `block 2 is a "PUBLIC KEY", not a CERTIFICATE`, fixContains: "leave out other blocks"},
		{name: "private key", value: ca1 + testKey, errContains: "contains a private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, environ := newAction(t, with("INPUT_CA-CERTIFICATES", tt.value))
			got, err := Load(a, environ)
			if tt.errContains != "" {
				checkInputError(t, err, "ca-certificates", tt.errContains, tt.fixContains)
				if msg := err.Error(); strings.Contains(msg, "CertificateAtAll") || len(msg) > 200 {
					t.Errorf("Load() error = %q, want it to show no more than a short prefix of the value", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got.CACertificates != tt.want {
				t.Errorf("Load() CACertificates =\n%s\nwant\n%s", got.CACertificates, tt.want)
			}
			if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM([]byte(got.CACertificates)) {
				t.Errorf("AppendCertsFromPEM(Load() CACertificates) = false")
			}
		})
	}

	t.Run("unset", func(t *testing.T) {
		t.Parallel()
		a, environ := newAction(t, with("INPUT_CA-CERTIFICATES", ""))
		if got, err := Load(a, environ); err != nil || got.CACertificates != "" {
			t.Errorf("Load() CACertificates, error = %q, %v, want empty, nil", got.CACertificates, err)
		}
	})

	t.Run("ParseApp", func(t *testing.T) {
		t.Parallel()
		in := Inputs{Values: map[string]string{"client-id": "Iv23liTest", "private-key": testKey, "ca-certificates": "not PEM"}}
		_, err := ParseApp(in)
		checkInputError(t, err, "ca-certificates", "has no PEM certificate", "")
		in.Values["ca-certificates"] = ca1
		if c, err := ParseApp(in); err != nil || c.CACertificates != ca1 {
			t.Errorf("ParseApp() CACertificates, error = %q, %v, want the certificate", c.CACertificates, err)
		}
	})

	t.Run("LoadPost", func(t *testing.T) {
		t.Parallel()
		for value, want := range map[string]string{
			ca1 + ca2:             ca1 + ca2,
			"not PEM":             "",
			ca1 + testKey:         "",
			"${{ vars.GHES_CA }}": "",
			ca1[:len(ca1)/2]:      "",
			"  " + ca1 + "\n\n  ": ca1,
		} {
			a, _ := newAction(t, map[string]string{"INPUT_CA-CERTIFICATES": value})
			if got := LoadPost(a).CACertificates; got != want {
				t.Errorf("LoadPost() CACertificates = %q, want %q", got, want)
			}
		}
	})
}
