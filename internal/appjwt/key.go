package appjwt

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// KeyError reports a private key that cannot be used: Problem says what
// was found, and never contains key material. [ParseKey] returns it wrapped
// in a [hint.Error] that says what to do about it.
type KeyError struct {
	Problem string
}

// Error returns the problem as a single line.
func (e *KeyError) Error() string { return e.Problem }

// keyError returns a [*KeyError] with problem, wrapped with the next step.
func keyError(problem, next string) error {
	return hint.New(&KeyError{Problem: problem}, next)
}

// Hints shared by several problems.
const (
	hintPaste = "paste the whole .pem file GitHub generated under the app's settings > Private keys, including the BEGIN and END lines"
	hintStore = "store the whole .pem file in the secret, including the END line, e.g. gh secret set APP_PRIVATE_KEY < app.private-key.pem"
	hintRSA   = "GitHub Apps sign with RSA keys: " + hintPaste
)

// PEM markers. Base64 never contains '-', so a marker found anywhere in the
// input is a marker, not key material.
const (
	beginMarker = "-----BEGIN"
	endMarker   = "-----END"
	dashes      = "-----"
)

// ParseKey parses s, the private-key input of a workflow, as an RSA private
// key in PEM form: PKCS#1 ("RSA PRIVATE KEY", what GitHub issues) or PKCS#8
// ("PRIVATE KEY").
//
// ParseKey forgives the ways a key gets mangled on its way into a secret:
// surrounding whitespace or quotes, literal \n escapes, CRLF or CR line
// endings, indented lines, a BEGIN or END marker run together with the body,
// and a whole PEM file that was base64-encoded once more.
//
// Any other input yields a *[KeyError] that says what was found instead (an
// OpenSSH, EC or public key, a certificate, an encrypted or truncated key,
// several keys, ...) without quoting the input.
func ParseKey(s string) (*rsa.PrivateKey, error) {
	text := normalize(s)
	if len(text) == 0 {
		return nil, keyError("private key is empty", "set {private-key} to the app's private key, e.g. private-key: ${{ secrets.APP_PRIVATE_KEY }}; an empty value often means the secret is misspelled or not available to this workflow (pull requests from forks and Dependabot do not get repository secrets)")
	}
	if !bytes.Contains(text, []byte(beginMarker)) {
		pemText, err := notPEM(text)
		if err != nil {
			return nil, err
		}
		text = normalize(string(pemText))
	}
	return parsePEM(text)
}

// normalize trims s and every line in it, turns literal \n and \r escapes and
// CRLF or CR line endings into LF, and drops one pair of surrounding quotes.
// It returns the lines, each ending in LF, or nothing for a blank s.
func normalize(s string) []byte {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	// ReplaceAll does not allocate when there is nothing to replace.
	s = strings.ReplaceAll(s, `\r\n`, "\n")
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.ReplaceAll(s, `\r`, "\n")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	buf := make([]byte, 0, len(s)+1)
	for line := range strings.Lines(s) {
		buf = append(buf, strings.TrimSpace(line)...)
		buf = append(buf, '\n')
	}
	return buf
}

// notPEM explains text, which holds no BEGIN marker. It returns the PEM text
// inside when text is a base64-encoded PEM file, and a *KeyError (with its
// hint) otherwise.
func notPEM(text []byte) ([]byte, error) {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	if f := bytes.Fields(first); len(f) > 0 && isSSHKeyType(string(f[0])) ||
		bytes.HasPrefix(text, []byte("---- BEGIN SSH2 PUBLIC KEY")) {
		return nil, keyError("private key is an SSH public key", hintRSA)
	}
	if bytes.HasPrefix(text, []byte("SHA256:")) {
		return nil, keyError("private key is a key fingerprint, not the key", "GitHub shows only fingerprints after generating a key; "+hintPaste+", or generate a new key if the file is lost")
	}
	if bytes.HasPrefix(text, []byte("PuTTY-User-Key-File-")) {
		return nil, keyError("private key is a PuTTY key, not PEM", hintPaste)
	}
	if der, ok := decodeBase64(text); ok {
		if t := bytes.TrimSpace(der); bytes.HasPrefix(t, []byte(beginMarker)) {
			return t, nil
		}
		if der[0] == 0x30 { // an ASN.1 SEQUENCE: the body of a PEM block
			return nil, keyError("private key has no BEGIN and END lines", hintPaste)
		}
	}
	if text[0] == '$' {
		return nil, keyError("private key is an unexpanded variable or expression", "pass the secret with an expression under with:, e.g. private-key: ${{ secrets.APP_PRIVATE_KEY }}; with: does not expand shell variables such as $APP_PRIVATE_KEY")
	}
	if looksLikePath(text) {
		return nil, keyError("private key looks like a file path, not the key itself", "private-key takes the contents of the .pem file, e.g. private-key: ${{ secrets.APP_PRIVATE_KEY }}")
	}
	return nil, keyError("private key is not in PEM format (no BEGIN line)", hintPaste)
}

// isSSHKeyType reports whether f is the key type field of an OpenSSH public
// key line such as "ssh-rsa AAAA... user@host".
func isSSHKeyType(f string) bool {
	return strings.HasPrefix(f, "ssh-") || strings.HasPrefix(f, "ecdsa-sha2-") ||
		strings.HasPrefix(f, "sk-ssh-") || strings.HasPrefix(f, "sk-ecdsa-")
}

// looksLikePath reports whether text is a single word naming a key file.
func looksLikePath(text []byte) bool {
	t := bytes.TrimSpace(text)
	if bytes.ContainsAny(t, " \t\n") {
		return false
	}
	for _, p := range []string{"/", "./", "../", "~/"} {
		if bytes.HasPrefix(t, []byte(p)) && bytes.ContainsAny(t, ".") {
			return true
		}
	}
	for _, ext := range []string{".pem", ".key", ".ppk", ".der"} {
		if len(t) > len(ext) && strings.EqualFold(string(t[len(t)-len(ext):]), ext) {
			return true
		}
	}
	return false
}

// decodeBase64 decodes text as one base64 blob, ignoring whitespace, with or
// without padding. It reports false for an empty result.
func decodeBase64(text []byte) ([]byte, bool) {
	compact := make([]byte, 0, len(text))
	for _, c := range text {
		if c != '\n' && c != ' ' && c != '\t' {
			compact = append(compact, c)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		out := make([]byte, enc.DecodedLen(len(compact)))
		if n, err := enc.Decode(out, compact); err == nil && n > 0 {
			return out[:n], true
		}
	}
	return nil, false
}

// parsePEM parses text, normalized and holding at least one BEGIN marker.
func parsePEM(text []byte) (*rsa.PrivateKey, error) {
	if n := bytes.Count(text, []byte(beginMarker)); n > 1 {
		return nil, keyError("private key holds "+strconv.Itoa(n)+" PEM blocks ("+blockTypes(text)+"), want exactly one", "store only the app's private key: the .pem file GitHub generated under the app's settings > Private keys holds exactly one block")
	}
	begin := bytes.Index(text, []byte(beginMarker))
	label, afterBegin := markerLabel(text[begin:], beginMarker)
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	if isEncrypted(text) {
		return nil, keyError(encryptedProblem, encryptedHint)
	}
	body := begin + afterBegin
	rest := text[body:]
	if len(bytes.TrimSpace(rest)) == 0 {
		return nil, keyError("private key holds only its first line (the BEGIN line)", "the secret was probably stored from a one-line paste or a command that kept only the first line; "+hintStore)
	}
	end := bytes.Index(rest, []byte(endMarker))
	if end < 0 {
		return nil, keyError("private key is truncated (BEGIN line without an END line)", hintStore)
	}
	endLabel, afterEnd := markerLabel(rest[end:], endMarker)
	if endLabel != label {
		return nil, keyError("private key BEGIN and END lines do not match", hintPaste)
	}
	// encoding/pem needs the markers on lines of their own (it ignores
	// spaces inside the body), but a paste may have turned line breaks into
	// spaces.
	end += body
	block, _ := pem.Decode(breakLines(text, begin, body, end, end+afterEnd))
	if block == nil {
		return nil, corruptError("the PEM body is not valid base64")
	}
	return parseDER(block)
}

// markerLabel returns the type label of the marker line that starts text
// with marker ("-----BEGIN" or "-----END"), and the offset just past the
// marker: past its closing dashes, or past the end of the line when they are
// missing.
func markerLabel(text []byte, marker string) (label string, next int) {
	line := text[len(marker):]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	next = len(marker) + len(line)
	if i := bytes.Index(line, []byte(dashes)); i >= 0 {
		next = len(marker) + i + len(dashes)
		line = line[:i]
	}
	return string(bytes.TrimSpace(line)), next
}

// knownLabel reports whether ParseKey recognizes the PEM type label, and the
// problem a block of that type has with its hint; problem is "" for the types
// that can hold an RSA private key. Only known labels are ever quoted in an
// error.
func knownLabel(label string) (problem, hint string, ok bool) {
	switch label {
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		return "", "", true
	case "OPENSSH PRIVATE KEY":
		return "private key is an OpenSSH key, not PEM", "GitHub App keys are PEM files: " + hintPaste + "; an OpenSSH RSA key can be converted with: ssh-keygen -p -m PEM -f <file>", true
	case "EC PRIVATE KEY":
		return "private key is an EC key, not RSA", hintRSA, true
	case "DSA PRIVATE KEY":
		return "private key is a DSA key, not RSA", hintRSA, true
	case "PGP PRIVATE KEY BLOCK", "PGP PUBLIC KEY BLOCK":
		return "private key is a PGP key, not PEM", hintPaste, true
	case "PUBLIC KEY", "RSA PUBLIC KEY", "EC PUBLIC KEY":
		return "private key is a public key", "{private-key} needs the app's private key: " + hintPaste, true
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "X509 CRL":
		return "private key is a certificate, not a key", hintPaste, true
	case "ENCRYPTED PRIVATE KEY":
		return encryptedProblem, encryptedHint, true
	}
	return "", "", false
}

// checkLabel returns a *KeyError (with its hint) unless label can hold an RSA private key.
func checkLabel(label string) error {
	problem, hint, ok := knownLabel(label)
	switch {
	case !ok:
		return keyError("private key has an unsupported PEM type, want RSA PRIVATE KEY", hintPaste)
	case problem != "":
		return keyError(problem, hint)
	}
	return nil
}

// blockTypes lists the types of the PEM blocks in text, quoting only known
// types.
func blockTypes(text []byte) string {
	var b strings.Builder
	for i := 0; ; {
		j := bytes.Index(text[i:], []byte(beginMarker))
		if j < 0 {
			return b.String()
		}
		i += j
		label, next := markerLabel(text[i:], beginMarker)
		i += next
		if _, _, ok := knownLabel(label); !ok {
			label = "unknown type"
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(label)
	}
}

// isEncrypted reports whether text has the legacy OpenSSL header that marks
// an encrypted PEM block ("Proc-Type: 4,ENCRYPTED").
func isEncrypted(text []byte) bool {
	i := bytes.Index(text, []byte("Proc-Type:"))
	if i < 0 {
		return false
	}
	line, _, _ := bytes.Cut(text[i:], []byte("\n"))
	return bytes.Contains(line, []byte("ENCRYPTED"))
}

// An encrypted key's problem and hint, for its PEM type and for the legacy
// OpenSSL header.
const (
	encryptedProblem = "private key is encrypted with a passphrase"
	encryptedHint    = "store the key unencrypted, as GitHub generated it; decrypt with: openssl pkey -in <file> -out <decrypted file> (asks for the passphrase)"
)

func corruptError(why string) error {
	return keyError("private key is corrupt: "+why, "the secret was probably damaged when it was copied; "+hintPaste)
}

// breakLines returns text with a line break inserted at each offset in at,
// ascending, that falls inside a line.
func breakLines(text []byte, at ...int) []byte {
	var out []byte
	last := 0
	for _, i := range at {
		if i > 0 && i < len(text) && text[i-1] != '\n' && text[i] != '\n' {
			if out == nil {
				out = make([]byte, 0, len(text)+len(at))
			}
			out = append(out, text[last:i]...)
			out = append(out, '\n')
			last = i
		}
	}
	if out == nil {
		return text
	}
	return append(out, text[last:]...)
}

// parseDER parses the body of block, whose type is RSA PRIVATE KEY or
// PRIVATE KEY. It accepts either encoding under either label, since tools
// mislabel them.
func parseDER(block *pem.Block) (*rsa.PrivateKey, error) {
	der := block.Bytes
	if block.Type == "RSA PRIVATE KEY" {
		if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return key, nil
		}
	}
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch key := key.(type) {
		case *rsa.PrivateKey:
			return key, nil
		case *ecdsa.PrivateKey:
			return nil, keyError("private key is an EC key, not RSA", hintRSA)
		case ed25519.PrivateKey:
			return nil, keyError("private key is an Ed25519 key, not RSA", hintRSA)
		case *ecdh.PrivateKey:
			return nil, keyError("private key is an X25519 key, not RSA", hintRSA)
		default:
			return nil, keyError("private key is not an RSA key", hintRSA)
		}
	}
	if block.Type != "RSA PRIVATE KEY" {
		if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return key, nil
		}
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return nil, keyError("private key is an EC key, not RSA", hintRSA)
	}
	return nil, corruptError("the PEM body is not a valid RSA private key")
}
