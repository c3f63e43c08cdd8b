// Package credential hashes and checks the secrets Tandem is given:
// passwords (argon2id, with the OWASP password storage cheat sheet's
// parameters) and the random one-time tokens of sign-in links, invitations,
// password resets, sessions and API keys (high-entropy, so one SHA-256 is
// enough to store them).
package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/tandem-prm/tandem"
)

// argon2id parameters from the OWASP password storage cheat sheet:
// m=19 MiB, t=2, p=1.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Password length limits. The upper one keeps hashing cheap for attackers'
// inputs; NIST SP 800-63B asks for at least 64 allowed characters.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// ValidatePassword checks a new password's length.
func ValidatePassword(password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		return tandem.Invalidf("password", "Password must be at least %d characters.", MinPasswordLen)
	case n > MaxPasswordLen:
		return tandem.Invalidf("password", "Password must be at most %d characters.", MaxPasswordLen)
	}
	return nil
}

// HashPassword returns the password's argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), which carries its own parameters.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformedHash is returned for a stored hash Tandem did not write.
var ErrMalformedHash = errors.New("credential: malformed password hash")

// CheckPassword reports whether password matches the stored hash, in time
// independent of where they differ.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when an account does not exist, so that a
// sign-in takes as long for an unknown email as for a wrong password.
var dummyHash, _ = HashPassword("an unguessable placeholder password")

// CheckNoPassword spends the time of one password check and reports false.
func CheckNoPassword(password string) bool {
	_, _ = CheckPassword(dummyHash, password)
	return false
}

// NewToken returns a new random token (256 bits, URL-safe) and the hash to
// store for it.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a token: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
