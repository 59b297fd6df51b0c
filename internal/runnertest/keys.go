package runnertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"time"
)

// KeyInputs returns private-key inputs by kind: the app's key in every
// encoding a secret ends up in, and keys and texts that are not it. They
// are made once per test binary; callers must not change the map.
var KeyInputs = sync.OnceValue(makeKeyInputs)

func makeKeyInputs() map[string]string {
	app, other := Keys()
	must := func(b []byte, err error) []byte {
		if err != nil {
			panic(err)
		}
		return b
	}
	encode := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	pkcs1 := encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(app))
	lines := strings.Split(strings.TrimSpace(pkcs1), "\n")
	body := lines[1 : len(lines)-1]

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	// EncryptPEMBlock is deprecated as insecure, but its legacy encrypted
	// PEM is what `openssl genrsa -aes128` writes, and what users paste.
	//lint:ignore SA1019 the legacy format is the fixture: users paste keys that openssl genrsa -aes128 wrote
	encrypted, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(other), []byte("passphrase"), x509.PEMCipherAES128)
	if err != nil {
		panic(err)
	}
	opaque := make([]byte, 1200)
	_, _ = rand.Read(opaque)

	badBody := append([]string(nil), lines...)
	mid := badBody[len(badBody)/2]
	badBody[len(badBody)/2] = mid[:20] + "!" + mid[21:]

	return map[string]string{
		"pkcs1":     pkcs1,
		"pkcs8":     encode("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(app))),
		"escaped":   strings.ReplaceAll(strings.TrimSpace(pkcs1), "\n", `\n`),
		"crlf":      strings.ReplaceAll(pkcs1, "\n", "\r\n"),
		"base64":    base64.StdEncoding.EncodeToString([]byte(pkcs1)),
		"indented":  "    " + strings.ReplaceAll(strings.TrimSpace(pkcs1), "\n", "\n    "),
		"quoted":    `"` + strings.TrimSpace(pkcs1) + `"`,
		"oneline":   strings.Join(strings.Fields(pkcs1), " "),
		"firstline": lines[0],
		"truncated": strings.Join(lines[:len(lines)/2], "\n"),
		"middle":    strings.Join(append(append([]string{lines[0]}, body[:3]...), lines[len(lines)-3:]...), "\n"),
		"badbase64": strings.Join(badBody, "\n"),
		"body":      strings.Join(body, "\n"),
		"mismatch":  strings.Replace(pkcs1, "END RSA PRIVATE KEY", "END PRIVATE KEY", 1),
		"openssh":   openSSHKey(other),
		"sshpublic": "ssh-rsa " + base64.StdEncoding.EncodeToString(sshRSAPublic(&other.PublicKey)) + " runner@example",
		"ec":        encode("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(ec))),
		"ecpkcs8":   encode("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(ec))),
		"public":    encode("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&app.PublicKey))),
		"rsapublic": encode("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&app.PublicKey)),
		"encrypted": string(pem.EncodeToMemory(encrypted)),
		"encpkcs8":  encode("ENCRYPTED PRIVATE KEY", opaque),
		"cert":      certificatePEM(other),
		"twokeys":   pkcs1 + encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(other)),
		"keycert":   pkcs1 + certificatePEM(other),
		"other":     encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(other)),
	}
}

// certificatePEM returns a self-signed certificate for key.
func certificatePEM(key *rsa.PrivateKey) string {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test-app"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// sshString appends an SSH wire-format string or mpint body to b.
func sshString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// sshMPInt appends n as an SSH mpint.
func sshMPInt(b []byte, n *big.Int) []byte {
	v := n.Bytes()
	if len(v) > 0 && v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return sshString(b, v)
}

// sshRSAPublic returns the SSH wire encoding of an RSA public key.
func sshRSAPublic(pub *rsa.PublicKey) []byte {
	b := sshString(nil, []byte("ssh-rsa"))
	b = sshMPInt(b, big.NewInt(int64(pub.E)))
	return sshMPInt(b, pub.N)
}

// openSSHKey returns key in the "OPENSSH PRIVATE KEY" format that
// ssh-keygen writes by default, unencrypted.
func openSSHKey(key *rsa.PrivateKey) string {
	check := make([]byte, 4)
	_, _ = rand.Read(check)
	priv := append(append([]byte(nil), check...), check...)
	priv = sshString(priv, []byte("ssh-rsa"))
	for _, n := range []*big.Int{key.N, big.NewInt(int64(key.E)), key.D, key.Precomputed.Qinv, key.Primes[0], key.Primes[1]} {
		priv = sshMPInt(priv, n)
	}
	priv = sshString(priv, []byte("runner@example"))
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	blob := []byte("openssh-key-v1\x00")
	blob = sshString(blob, []byte("none"))
	blob = sshString(blob, []byte("none"))
	blob = sshString(blob, nil)
	blob = binary.BigEndian.AppendUint32(blob, 1)
	blob = sshString(blob, sshRSAPublic(&key.PublicKey))
	blob = sshString(blob, priv)
	return string(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: blob}))
}

// keyPEMs returns the test keys in the PEM encodings whose bodies differ:
// what must never be shown, whichever one a test passed.
func keyPEMs() []string {
	k := KeyInputs()
	return []string{k["pkcs1"], k["pkcs8"], k["other"]}
}
