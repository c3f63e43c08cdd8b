package commission

import (
	"math/rand/v2"
	"testing"

	"github.com/tandem-prm/tandem"
)

func TestReverse(t *testing.T) {
	t.Parallel()
	pending := &tandem.Commission{ID: "com_a", Amount: 2980, Status: tandem.CommissionPending}
	rejected := &tandem.Commission{ID: "com_b", Amount: 500, Status: tandem.CommissionRejected}
	got := Reverse(14900, 0, 4900, []*tandem.Commission{pending, rejected})
	// 2980 × 4900 / 14900 = 979.99… → 980
	if len(got) != 1 || got[0] != (Reversal{"com_a", 980}) {
		t.Fatalf("got %+v", got)
	}
	pending.Reversed = 980
	got = Reverse(14900, 4900, 10000, []*tandem.Commission{pending})
	if len(got) != 1 || got[0].Amount != 2000 {
		t.Fatalf("the rest of the sale takes back the rest of the commission: %+v", got)
	}
	if got := Reverse(14900, 0, 0, []*tandem.Commission{pending}); got != nil {
		t.Fatalf("a zero refund reverses nothing: %+v", got)
	}
}

// TestReverseProperty refunds random sales in random parts and checks that
// no reversal is negative, that the reversals never exceed the commission,
// and that refunding the whole sale takes back exactly the whole commission.
func TestReverseProperty(t *testing.T) {
	t.Parallel()
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 1))
	for range 20000 {
		sale := 1 + r.Int64N(10_000_000)
		c := &tandem.Commission{ID: "com_x", Amount: r.Int64N(sale*2 + 1), Status: tandem.CommissionApproved}
		var refunded int64
		for refunded < sale {
			part := 1 + r.Int64N(sale-refunded)
			if r.IntN(4) == 0 {
				part = sale - refunded
			}
			for _, rv := range Reverse(sale, refunded, part, []*tandem.Commission{c}) {
				if rv.Amount <= 0 {
					t.Fatalf("seed %d: reversal %d", seed, rv.Amount)
				}
				c.Reversed += rv.Amount
			}
			refunded += part
			if c.Reversed > c.Amount {
				t.Fatalf("seed %d: reversed %d of %d", seed, c.Reversed, c.Amount)
			}
		}
		if c.Reversed != c.Amount {
			t.Fatalf("seed %d: sale %d fully refunded reversed %d of %d", seed, sale, c.Reversed, c.Amount)
		}
	}
}
