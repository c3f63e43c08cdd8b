package tandem

import (
	"crypto/rand"
	"strings"
	"time"
)

// ID prefixes. Every public ID is a prefix, an underscore and 26 random
// base32 characters (128 bits from a CSPRNG): it says what it names and
// cannot be enumerated. Click IDs put their time first (NewTimeID).
const (
	PrefixProgram    = "prg"
	PrefixPartner    = "prt"
	PrefixMembership = "mem"
	PrefixAudit      = "aud"
	PrefixUser       = "usr"
	PrefixPartnerUsr = "ptu"
	PrefixAPIKey     = "key"
	PrefixEmail      = "eml"
	PrefixGroup      = "grp"
	PrefixQuestion   = "apq"
	PrefixStep       = "obs"
	PrefixResource   = "res"
	PrefixFile       = "fil"
	PrefixInvitation = "inv"
	PrefixImport     = "imp"
	PrefixLink       = "lnk"
	PrefixClick      = "clk"
	PrefixCoupon     = "cpn"
	PrefixCustomer   = "cus"
	PrefixConversion = "cnv"
	PrefixPlan       = "pln"
	PrefixCommission = "com"
	PrefixPosting    = "led"
	PrefixReferral   = "ref"
	PrefixMethod     = "pmt"
	PrefixBatch      = "pbt"
	PrefixPayout     = "pay"

	PrefixAgreementVersion = "agv"
	PrefixPlanVersion      = "plv"
)

// NewID returns a fresh random ID with the given prefix, e.g. "prt_4kz…".
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(rand.Text())
}

// HasPrefix reports whether id is shaped like an ID of the given prefix.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// idAlphabet is the base32 alphabet of IDs in byte order.
const idAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// NewTimeID returns an ID shaped like NewID's whose first 10 characters
// encode t in milliseconds, so that IDs sort in the order they were made,
// followed by 16 random characters (80 bits: still not guessable). It is for
// rows written at a high rate, such as clicks: their primary key index then
// grows at its end instead of touching a random page per row, which makes
// each commit write far fewer pages.
func NewTimeID(prefix string, t time.Time) string {
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	copy(b[10:], strings.ToLower(rand.Text()[:16]))
	return prefix + "_" + string(b[:])
}
