package attribution_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/attribution"
)

// fuzzInput builds an Input from the fuzzer's values.
//
//   - cookieDays picks a valid window (1 to MaxCookieDays days).
//   - mode: bit 0 first click, bit 1 lifetime off.
//   - rules: bits 0-3 the lock (bit 0 present, bits 1-2 its start: none, a
//     day before the sale, at the sale, 1ms after it; bit 3 unused), bits 4-7
//     its partner, bit 8 a referral and bits 9-12 its partner, bit 13 a coupon
//     and bits 14-17 its partner. A partner number n names partnerPool[n%6].
//   - statuses: 2 bits for each of the first five partners: approved,
//     suspended, pending, not a member.
//   - clicks: 7 bytes a click. Bytes 0-4 an offset in ms, byte 5 the partner
//     (mod 6) and the ID (div 6), byte 6 flags: bit 0 a bot, bits 1-3 where:
//     0-3 the offset from a day before the window's start (mod the window and
//     two days), 4 exactly at the start, 5 1ms before it, 6 at the sale, 7 at
//     the previous click's instant.
func fuzzInput(cookieDays uint16, mode uint8, rules uint32, statuses uint16, clicks []byte) attribution.Input {
	in := attribution.Input{
		Program: attribution.Program{
			CookieDays:  int(cookieDays)%attribution.MaxCookieDays + 1,
			Model:       tandem.LastClick,
			LifetimeOff: mode&2 != 0,
		},
		OccurredAt: sale,
		Partners:   map[string]attribution.Partner{},
	}
	if mode&1 != 0 {
		in.Program.Model = tandem.FirstClick
	}
	for i, id := range partnerPool[:5] {
		switch statuses >> (2 * i) & 3 {
		case 0:
			in.Partners[id] = attribution.Partner{Status: tandem.MembershipApproved}
		case 1:
			in.Partners[id] = attribution.Partner{Status: tandem.MembershipSuspended, Reason: "fuzz"}
		case 2:
			in.Partners[id] = attribution.Partner{Status: tandem.MembershipPending}
		}
	}
	pick := func(n uint32) string { return partnerPool[n%uint32(len(partnerPool))] }
	if rules&1 != 0 {
		since := []time.Time{{}, sale.Add(-day), sale, sale.Add(time.Millisecond)}[rules>>1&3]
		in.Lock = &attribution.Lock{CustomerID: "cus_f", PartnerID: pick(rules >> 4 & 15), Since: since}
	}
	if rules&(1<<8) != 0 {
		in.Referral = &attribution.Referral{ID: "ref_f", PartnerID: pick(rules >> 9 & 15)}
	}
	if rules&(1<<13) != 0 {
		in.Coupon = &attribution.Coupon{ID: "cpn_f", Code: "FUZZ", PartnerID: pick(rules >> 14 & 15)}
	}
	from, _ := in.Program.Window(sale)
	span := uint64(sale.Sub(from)+2*day) / uint64(time.Millisecond)
	for b := clicks; len(b) >= 7; b = b[7:] {
		var at time.Time
		switch b[6] >> 1 & 7 {
		case 4:
			at = from
		case 5:
			at = from.Add(-time.Millisecond)
		case 6:
			at = sale
		case 7:
			if len(in.Clicks) > 0 {
				at = in.Clicks[len(in.Clicks)-1].At
				break
			}
			fallthrough
		default:
			var ms [8]byte
			copy(ms[:5], b[:5])
			at = from.Add(-day + time.Duration(binary.LittleEndian.Uint64(ms[:])%(span+1))*time.Millisecond)
		}
		id := fmt.Sprintf("clk_%02d", b[5]/6)
		in.Clicks = append(in.Clicks, attribution.Click{
			ID: id, LinkID: "lnk_" + id[4:], PartnerID: partnerPool[b[5]%6], At: at, Bot: b[6]&1 != 0,
		})
	}
	return in
}

// FuzzDecide checks Decide over arbitrary click sets against the reference
// implementation and the invariants, and checks that neither the clicks'
// order nor an added bot click changes the result. The seed corpus is in
// testdata/fuzz/FuzzDecide.
func FuzzDecide(f *testing.F) {
	f.Fuzz(func(t *testing.T, cookieDays uint16, mode uint8, rules uint32, statuses uint16, clicks []byte) {
		in := fuzzInput(cookieDays, mode, rules, statuses, clicks)
		got := attribution.Decide(in)
		if err := check(in, got); err != nil {
			t.Fatalf("%v\ninput: %s", err, dump(in))
		}
		rev := in
		rev.Clicks = slices.Clone(in.Clicks)
		slices.Reverse(rev.Clicks)
		if again := attribution.Decide(rev); !resultsEqual(again, got) {
			t.Fatalf("clicks reversed give %+v, in order %+v\ninput: %s", again, got, dump(in))
		}
		for _, c := range in.Clicks {
			c.Bot = true
			more := in
			more.Clicks = append(slices.Clone(in.Clicks), c)
			if again := attribution.Decide(more); decisionOf(again) != decisionOf(got) {
				t.Fatalf("adding bot %s changed %+v to %+v\ninput: %s", dumpClicks([]attribution.Click{c}), decisionOf(got), decisionOf(again), dump(in))
			}
		}
	})
}
