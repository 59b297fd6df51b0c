package apptoken

import (
	"context"
	"sync"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
)

// reuseFor is how long a signed app JWT is reused. An RS256 signature
// costs about a millisecond in a fresh process, and a round trip when the
// key is in a KMS; a step makes two or three
// requests as the app within a second, so one signature serves them all.
// The JWT lives 9 minutes; reusing it for 5 leaves ample margin.
const reuseFor = 5 * time.Minute

// jwtCache signs app JWTs and reuses the last one while it is fresh and the
// clock it was signed for has not moved: the API client asks for a JWT for
// its local time plus the offset it adopted from GitHub's clock, so a new
// offset makes the next request signed anew.
type jwtCache struct {
	issuer string
	signer appjwt.Signer

	mu     sync.Mutex
	jwt    string
	local  time.Time     // the local time the JWT was signed at
	offset time.Duration // the time it was signed for, less local
}

func newJWTCache(issuer string, signer appjwt.Signer) *jwtCache {
	return &jwtCache{issuer: issuer, signer: signer}
}

// sign returns a JWT for now, the client's clock corrected by its adopted
// offset.
func (s *jwtCache) sign(ctx context.Context, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	local := time.Now()
	offset := now.Sub(local)
	// An offset that moved by more than a second is a new clock (the
	// client adopted GitHub's): the JWT must be signed for it.
	if s.jwt != "" && local.Sub(s.local) < reuseFor && (offset-s.offset).Abs() < time.Second {
		return s.jwt, nil
	}
	jwt, err := appjwt.SignWith(ctx, s.issuer, s.signer, now)
	if err != nil {
		return "", err
	}
	s.jwt, s.local, s.offset = jwt, local, offset
	return jwt, nil
}
