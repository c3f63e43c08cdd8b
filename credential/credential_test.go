package credential_test

import (
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/credential"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	hash, err := credential.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not carry the OWASP parameters", hash)
	}
	if again, _ := credential.HashPassword("correct horse battery"); again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
	} {
		ok, err := credential.CheckPassword(hash, tt.password)
		if err != nil || ok != tt.ok {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.password, ok, err, tt.ok)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x,t=1,p=1$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
		if _, err := credential.CheckPassword(bad, "x"); err != credential.ErrMalformedHash {
			t.Errorf("CheckPassword(%q) error = %v; want ErrMalformedHash", bad, err)
		}
	}
	if credential.CheckNoPassword("anything") {
		t.Error("CheckNoPassword reported a match")
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{
		"short":                  false,
		"ten chars!":             true,
		strings.Repeat("x", 128): true,
		strings.Repeat("x", 129): false,
		"æøåæøåæøåæ":             true, // characters, not bytes
	} {
		err := credential.ValidatePassword(pw)
		if (err == nil) != ok || (err != nil && tandem.ErrorField(err) != "password") {
			t.Errorf("ValidatePassword(%q) = %v; want ok=%v", pw, err, ok)
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	token, hash := credential.NewToken()
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Errorf("token %q is not 256 bits of URL-safe base64", token)
	}
	if credential.HashToken(token) != hash || hash == token || len(hash) != 64 {
		t.Errorf("hash %q does not match its token", hash)
	}
	if other, _ := credential.NewToken(); other == token {
		t.Error("two tokens are equal")
	}
}
