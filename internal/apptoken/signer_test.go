package apptoken

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
)

func TestSignerReuse(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := newJWTCache("Iv23liTest", appjwt.KeySigner{Key: key})
	now := time.Now()
	first, err := s.sign(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		at      time.Time
		wantNew bool
	}{
		{"same clock", now, false},
		{"GitHub's clock adopted, 2 min ahead", now.Add(2 * time.Minute), true},
		{"GitHub's clock adopted, 2 min behind", now.Add(-2 * time.Minute), true},
	}
	for _, tt := range tests {
		got, err := s.sign(t.Context(), tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if isNew := got != first; isNew != tt.wantNew {
			t.Errorf("%s: sign() made a new JWT = %t, want %t", tt.name, isNew, tt.wantNew)
		}
		first = got
	}
}
