package tandem

import (
	"crypto/rand"
	"strings"
)

// ID prefixes. Every public ID is a prefix, an underscore and 26 random
// base32 characters (128 bits from a CSPRNG): it says what it names and
// cannot be enumerated.
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
