package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// TestSignJWT checks the hand-made JWT: RS256 header, the claims, and a
// signature the key's public half verifies.
func TestSignJWT(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string]func() []byte{
		"PKCS#1": func() []byte { return x509.MarshalPKCS1PrivateKey(key) },
		"PKCS#8": func() []byte { b, _ := x509.MarshalPKCS8PrivateKey(key); return b },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der()}))
			now := time.Unix(1_800_000_000, 0)
			jwt, err := signJWT("Iv23liTest", keyPEM, now)
			if err != nil {
				t.Fatalf("signJWT() error = %v", err)
			}
			parts := strings.Split(jwt, ".")
			if len(parts) != 3 {
				t.Fatalf("signJWT() has %d parts, want 3", len(parts))
			}
			dec := base64.RawURLEncoding
			header, _ := dec.DecodeString(parts[0])
			payload, _ := dec.DecodeString(parts[1])
			sig, _ := dec.DecodeString(parts[2])
			if string(header) != `{"alg":"RS256","typ":"JWT"}` {
				t.Errorf("signJWT() header = %s, want RS256", header)
			}
			var claims struct {
				Iat, Exp int64
				Iss      string
			}
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			if claims.Iat != now.Unix()-60 || claims.Exp != now.Unix()+540 || claims.Iss != "Iv23liTest" {
				t.Errorf("signJWT() claims = %+v, want iat now-60, exp now+540, iss Iv23liTest", claims)
			}
			sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
				t.Errorf("signJWT() signature does not verify: %v", err)
			}
		})
	}
	if _, err := signJWT("x", "not a key", time.Now()); err == nil {
		t.Error("signJWT(not a key) error = nil, want one")
	}
}
