package config

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// caCertificates reads input ca-certificates into Config.CACertificates.
func (l *loader) caCertificates() error {
	v, err := l.input("ca-certificates")
	if err != nil || v == "" {
		return err
	}
	l.c.CACertificates, err = parseCACertificates(v)
	return err
}

// parseCACertificates checks s, the PEM text of one or more certificates,
// and returns them as clean PEM: each CERTIFICATE block alone, without
// headers or text between blocks, ready for [x509.CertPool.AppendCertsFromPEM].
// Literal \n escapes in a one-line value are read as line breaks, since a
// variable set through an API often has them, and lines may be indented. The error names input
// ca-certificates and shows at most a short prefix of s.
func parseCACertificates(s string) (string, error) {
	const name = "ca-certificates"
	const next = "set {ca-certificates} to the PEM text of the certificate authority's certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, for example ca-certificates: ${{ vars.GHES_CA }}"
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	// pem.Decode wants each BEGIN line at the start of a line.
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimSpace(line)
	}
	s = strings.Join(lines, "\n")
	var out bytes.Buffer
	rest := []byte(s)
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return "", inputError(name,
				fmt.Sprintf("block %d is a %s, not a CERTIFICATE", n, quote(block.Type)),
				next+"; leave out other blocks")
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return "", inputError(name,
				fmt.Sprintf("certificate %d does not parse: %v", n, err),
				next+"; check that the whole certificate was copied")
		}
		if err := pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}); err != nil {
			return "", err // writes to a bytes.Buffer do not fail
		}
	}
	switch {
	case bytes.Contains(rest, []byte("-----BEGIN")):
		return "", inputError(name,
			"has a block that is not valid PEM (cut short, or its END line is missing)",
			next+"; check that the whole certificate was copied, with its line breaks")
	case out.Len() == 0:
		return "", inputError(name,
			fmt.Sprintf("has no PEM certificate (it starts with %s)", quote(prefix(s, 10))),
			next)
	}
	return out.String(), nil
}

// prefix returns the first n runes of s, for an error message that must not
// show all of a value.
func prefix(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
