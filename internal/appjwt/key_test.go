package appjwt

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
)

// testRSAKey is generated once per test binary: 2048-bit generation is slow.
var testRSAKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// rsaKey returns the test binary's RSA key.
func rsaKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	key, err := testRSAKey()
	if err != nil {
		tb.Fatalf("generate RSA key: %v", err)
	}
	return key
}

// pemText encodes der as a PEM block of type typ.
func pemText(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// randomBytes returns n random bytes.
func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("read random bytes: %v", err)
	}
	return b
}

// must returns v, or a function failing tb on err when called:
// must(f())(tb).
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatalf("build test input: %v", err)
		}
		return v
	}
}

// wrap76 breaks s into lines of 76 characters, as base64(1) does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return b.String() + s + "\n"
}

// mapLines applies f to every line of s.
func mapLines(s string, f func(string) string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = f(l)
	}
	return strings.Join(lines, "\n") + "\n"
}

type keyCase struct {
	name string
	in   string
	// wantProblem is a substring of KeyError.Problem; "" means the input
	// must parse to the test RSA key.
	wantProblem string
}

// keyCases returns the inputs ParseKey must accept or explain.
func keyCases(tb testing.TB) []keyCase {
	tb.Helper()
	key := rsaKey(tb)
	pkcs1 := pemText("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	pkcs8 := pemText("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(key))(tb))
	lines := strings.Split(pkcs1, "\n")

	ecKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(tb)
	edKey := ed25519.NewKeyFromSeed(randomBytes(tb, ed25519.SeedSize))
	xKey := must(ecdh.X25519().GenerateKey(rand.Reader))(tb)
	ecSEC1 := must(x509.MarshalECPrivateKey(ecKey))(tb)

	//lint:ignore SA1019 Legacy encrypted PEM is what old tools emit.
	encrypted := must(x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY",
		x509.MarshalPKCS1PrivateKey(key), []byte("passphrase"), x509.PEMCipherAES256))(tb)

	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "appjwt test"},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	cert := pemText("CERTIFICATE", must(x509.CreateCertificate(rand.Reader, template, template, ecKey.Public(), ecKey))(tb))
	openssh := pemText("OPENSSH PRIVATE KEY", append([]byte("openssh-key-v1\x00"), randomBytes(tb, 400)...))
	sshBlob := base64.StdEncoding.EncodeToString(append([]byte("\x00\x00\x00\x07ssh-rsa"), randomBytes(tb, 270)...))

	return []keyCase{
		// Good keys, mangled in the usual ways.
		{name: "pkcs1", in: pkcs1},
		{name: "pkcs8", in: pkcs8},
		{name: "no final newline", in: strings.TrimSuffix(pkcs1, "\n")},
		{name: "surrounding whitespace", in: "\n\n  \t" + pkcs1 + "\n \t\n"},
		{name: "crlf", in: strings.ReplaceAll(pkcs1, "\n", "\r\n")},
		{name: "cr", in: strings.ReplaceAll(pkcs1, "\n", "\r")},
		{name: "literal \\n escapes", in: strings.ReplaceAll(pkcs1, "\n", `\n`)},
		{name: "literal \\r\\n escapes", in: strings.ReplaceAll(pkcs8, "\n", `\r\n`)},
		{name: "json string", in: strconv.Quote(pkcs1)},
		{name: "indented", in: mapLines(pkcs1, func(l string) string { return "    " + l })},
		{name: "indented with tabs and crlf", in: strings.ReplaceAll(mapLines(pkcs8, func(l string) string { return "\t\t" + l + " " }), "\n", "\r\n")},
		{name: "base64 of pem", in: base64.StdEncoding.EncodeToString([]byte(pkcs1))},
		{name: "base64 of pem wrapped", in: wrap76(base64.StdEncoding.EncodeToString([]byte(pkcs8)))},
		{name: "base64 of pem unpadded", in: base64.RawStdEncoding.EncodeToString([]byte(pkcs1 + "\n"))},
		{name: "one line with spaces", in: strings.ReplaceAll(strings.TrimSpace(pkcs1), "\n", " ")},
		{name: "markers run into text", in: "key: " + strings.Replace(strings.Replace(pkcs1, "-----\n", "----- ", 1), "\n-----END", " -----END", 1) + " trailing"},
		{name: "text before begin", in: "Bag Attributes\n    localKeyID: 01 02 03\nKey Attributes: <No Attributes>\n" + pkcs8},
		{name: "text after end", in: pkcs1 + "# app.2025-01-01.private-key.pem\n"},
		{name: "pkcs8 labelled pkcs1", in: strings.ReplaceAll(pkcs8, "PRIVATE KEY", "RSA PRIVATE KEY")},
		{name: "pkcs1 labelled pkcs8", in: strings.ReplaceAll(pkcs1, "RSA PRIVATE KEY", "PRIVATE KEY")},

		// Unusable input.
		{name: "empty", in: "", wantProblem: "empty"},
		{name: "blank", in: " \n\t\r\n ", wantProblem: "empty"},
		{name: "blank escapes", in: `\n\n`, wantProblem: "empty"},
		{name: "not pem", in: "hello world", wantProblem: "not in PEM format"},
		{name: "fingerprint", in: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8=", wantProblem: "fingerprint"},
		{name: "unexpanded shell variable", in: "$GITHUB_APP_KEY", wantProblem: "unexpanded variable or expression"},
		{name: "unexpanded expression", in: "${{ secrets.MY_APP_KEY }}", wantProblem: "unexpanded variable or expression"},
		{name: "relative file path", in: "./app.2025-01-01.private-key.pem", wantProblem: "file path"},
		{name: "absolute file path", in: "/home/runner/work/key.pem", wantProblem: "file path"},
		{name: "first line only", in: lines[0], wantProblem: "only its first line"},
		{name: "first line only with escape", in: lines[0] + `\n`, wantProblem: "only its first line"},
		{name: "first line only without dashes", in: "-----BEGIN RSA PRIVATE KEY", wantProblem: "only its first line"},
		{name: "no end line", in: strings.Join(lines[:10], "\n"), wantProblem: "truncated"},
		{name: "end line cut", in: strings.Join(lines[:len(lines)-2], "\n") + "\n-----EN", wantProblem: "truncated"},
		{name: "body not base64", in: strings.Replace(pkcs1, lines[3], lines[3][:10]+"!"+lines[3][11:], 1), wantProblem: "not valid base64"},
		{name: "body lines missing", in: strings.Join(append(lines[:5:5], lines[9:]...), "\n"), wantProblem: "corrupt"},
		{name: "body random", in: pemText("RSA PRIVATE KEY", randomBytes(tb, 600)), wantProblem: "not a valid RSA private key"},
		{name: "pkcs8 body random", in: pemText("PRIVATE KEY", randomBytes(tb, 600)), wantProblem: "corrupt"},
		{name: "begin and end differ", in: strings.Replace(pkcs1, "-----END RSA", "-----END", 1), wantProblem: "do not match"},
		{name: "openssh", in: openssh, wantProblem: "OpenSSH key"},
		{name: "base64 of openssh", in: base64.StdEncoding.EncodeToString([]byte(openssh)), wantProblem: "OpenSSH key"},
		{name: "ec sec1", in: pemText("EC PRIVATE KEY", ecSEC1), wantProblem: "EC key"},
		{name: "ec sec1 labelled rsa", in: pemText("RSA PRIVATE KEY", ecSEC1), wantProblem: "EC key"},
		{name: "ec pkcs8", in: pemText("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(ecKey))(tb)), wantProblem: "EC key"},
		{name: "ed25519 pkcs8", in: pemText("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(edKey))(tb)), wantProblem: "Ed25519 key"},
		{name: "x25519 pkcs8", in: pemText("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(xKey))(tb)), wantProblem: "X25519 key"},
		{name: "dsa", in: pemText("DSA PRIVATE KEY", randomBytes(tb, 400)), wantProblem: "DSA key"},
		{name: "pgp", in: pemText("PGP PRIVATE KEY BLOCK", randomBytes(tb, 400)), wantProblem: "PGP key"},
		{name: "pkix public key", in: pemText("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&key.PublicKey))(tb)), wantProblem: "public key"},
		{name: "pkcs1 public key", in: pemText("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey)), wantProblem: "public key"},
		{name: "ssh public key", in: "ssh-rsa " + sshBlob + " octocat@example", wantProblem: "SSH public key"},
		{name: "ssh2 public key", in: "---- BEGIN SSH2 PUBLIC KEY ----\n" + wrap76(sshBlob) + "---- END SSH2 PUBLIC KEY ----\n", wantProblem: "SSH public key"},
		{name: "putty", in: "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: octocat\nPublic-Lines: 6\n" + wrap76(sshBlob), wantProblem: "PuTTY key"},
		{name: "encrypted legacy", in: string(pem.EncodeToMemory(encrypted)), wantProblem: "encrypted"},
		{name: "encrypted pkcs8", in: pemText("ENCRYPTED PRIVATE KEY", randomBytes(tb, 700)), wantProblem: "encrypted"},
		{name: "certificate", in: cert, wantProblem: "certificate"},
		{name: "two keys", in: pkcs1 + pkcs8, wantProblem: "2 PEM blocks (RSA PRIVATE KEY, PRIVATE KEY)"},
		{name: "key and certificate", in: pkcs1 + cert, wantProblem: "2 PEM blocks (RSA PRIVATE KEY, CERTIFICATE)"},
		{name: "two keys on one line", in: strings.ReplaceAll(pkcs1+pkcs1, "\n", " "), wantProblem: "2 PEM blocks"},
		{name: "three blocks", in: cert + pemText("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", randomBytes(tb, 40)) + pkcs1, wantProblem: "3 PEM blocks (CERTIFICATE, unknown type, RSA PRIVATE KEY)"},
		{name: "unknown type", in: pemText("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", randomBytes(tb, 400)), wantProblem: "unsupported PEM type"},
		{name: "body without markers", in: strings.Join(lines[1:len(lines)-2], "\n"), wantProblem: "no BEGIN and END lines"},
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	want := rsaKey(t)
	for _, tc := range keyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKey(tc.in)
			if tc.wantProblem == "" {
				if err != nil {
					t.Fatalf("ParseKey() error = %v, want nil", err)
				}
				if !got.Equal(want) {
					t.Fatal("ParseKey() returned a different key")
				}
				return
			}
			if got != nil {
				t.Error("ParseKey() returned a key, want nil")
			}
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("ParseKey() error = %v (%T), want *KeyError", err, err)
			}
			if !strings.Contains(ke.Problem, tc.wantProblem) {
				t.Errorf("ParseKey() Problem = %q, want it to contain %q", ke.Problem, tc.wantProblem)
			}
			if hint.Next(err) == "" {
				t.Error("ParseKey() error has no hint")
			}
			checkKeyError(t, err)
			msg := ke.Problem + " " + hint.Next(err)
			for _, f := range secretFields(tc.in) {
				if strings.Contains(msg, f) {
					// Not quoting f: it is key material.
					t.Errorf("ParseKey() error quotes %d characters of the input", len(f))
				}
			}
		})
	}
}

// secretFields returns the parts of in, and of in base64-decoded, that could
// be key material: every run of at least 16 characters between whitespace
// or dashes.
func secretFields(in string) []string {
	in = strings.NewReplacer(`\n`, "\n", `\r`, "\n").Replace(in)
	split := func(s string) []string {
		var out []string
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
			if len(f) >= 16 {
				out = append(out, f)
			}
		}
		return out
	}
	out := split(in)
	if dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(in), "")); err == nil {
		out = append(out, split(string(dec))...)
	}
	return out
}

// checkKeyError fails t unless err is a *KeyError whose texts are single
// lines holding no run of 24 or more base64 characters.
func checkKeyError(t *testing.T, err error) {
	t.Helper()
	var ke *KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("ParseKey() error is %T, want *KeyError", err)
	}
	if ke.Error() != ke.Problem {
		t.Errorf("KeyError.Error() = %q, want the Problem %q", ke.Error(), ke.Problem)
	}
	for _, s := range []string{ke.Problem, hint.Next(err)} {
		if strings.ContainsAny(s, "\r\n") {
			t.Errorf("ParseKey() error text %q spans several lines", s)
		}
		if n := longestBase64Run(s); n >= 24 {
			t.Errorf("ParseKey() error text holds a %d-character base64 run", n)
		}
	}
}

// longestBase64Run returns the length of the longest run of base64
// characters in s.
func longestBase64Run(s string) int {
	longest, n := 0, 0
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/', c == '=':
			n++
			longest = max(longest, n)
		default:
			n = 0
		}
	}
	return longest
}

func FuzzParseKey(f *testing.F) {
	for _, tc := range keyCases(f) {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		key, err := ParseKey(in)
		if err != nil {
			checkKeyError(t, err)
			if key != nil {
				t.Error("ParseKey() returned both a key and an error")
			}
			return
		}
		if key == nil {
			t.Error("ParseKey() returned neither a key nor an error")
		}
	})
}

func BenchmarkParseKey(b *testing.B) {
	key := rsaKey(b)
	for _, bc := range []struct {
		name string
		in   string
	}{
		{"pkcs1", pemText("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))},
		{"pkcs8", pemText("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(key))(b))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseKey(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
