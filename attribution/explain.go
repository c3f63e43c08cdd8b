package attribution

import (
	"strconv"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

// partner names a partner for an explanation: "partner Kari (prt_…)", or
// "partner prt_…" when the name is unknown.
func (in *Input) partner(id string) string {
	if id == "" {
		return "no partner"
	}
	if p := in.Partners[id]; p.Name != "" {
		return "partner " + p.Name + " (" + id + ")"
	}
	return "partner " + id
}

// whyNot says why a partner cannot earn.
func (in *Input) whyNot(id string) string {
	if id == "" {
		return "it belongs to no partner"
	}
	p, ok := in.Partners[id]
	if !ok {
		return "the partner is not a member of the program"
	}
	reason := ""
	if p.Reason != "" {
		reason = " (" + p.Reason + ")"
	}
	switch p.Status {
	case tandem.MembershipSuspended:
		return "the partner is suspended" + reason
	case tandem.MembershipRejected:
		return "the partner was rejected" + reason
	case tandem.MembershipPending:
		return "the partner is not approved yet"
	case tandem.MembershipApproved:
		return "the partner can earn" // not reached: callers ask only about partners who cannot
	default:
		return "the partner's membership is " + strconv.Quote(string(p.Status))
	}
}

// describeClick says when a click happened and through which link, e.g.
// "3 days before the sale via link newsletter-jan (lnk_…) of partner Kari (prt_…)".
func (in *Input) describeClick(c *Click) string {
	link := c.LinkID
	if c.LinkLabel != "" {
		link = c.LinkLabel + " (" + c.LinkID + ")"
	}
	return beforeSale(in.OccurredAt.Sub(c.At)) + " via link " + link + " of " + in.partner(c.PartnerID)
}

// beforeSale says how long before the sale something happened, in at most
// two units, rounded down: "3 days 4 hours before the sale".
func beforeSale(d time.Duration) string {
	if d <= 0 {
		return "at the moment of the sale"
	}
	units := [...]struct {
		size time.Duration
		name string
	}{{day, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	for i, u := range units {
		if d < u.size {
			continue
		}
		s := count(int(d/u.size), u.name)
		if i+1 < len(units) {
			if n := int(d % u.size / units[i+1].size); n > 0 {
				s += " " + count(n, units[i+1].name)
			}
		}
		return s + " before the sale"
	}
	return "less than a second before the sale"
}

// count returns "1 click", "2 clicks".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}

func itoa(n int) string { return strconv.Itoa(n) }

// join lists items as "a", "a and b", "a, b and c".
func join(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
