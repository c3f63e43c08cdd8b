package http

import (
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// clickChart is a per-day click chart drawn on the server as an inline SVG
// bar chart (the "click-chart" partial): no script and no third-party
// asset, and its numbers are in the page's text for screen readers. It is
// built from tandem.ClickDay, which the store sums from the daily rollups.
type clickChart struct {
	Bars                []chartBar
	Width, Height       int
	Peak                int64 // the most human clicks of one day
	Total, Unique, Bots int64
	First, Last         time.Time
	// Empty is what the page says when there are no clicks at all.
	Empty string
}

// chartBar is one day: a bar of all human clicks with its unique clicks
// drawn over it, in SVG user units (the SVG stretches to the page's width).
type chartBar struct {
	X, Y, H, UY, UH int
	Title           string
}

// Chart geometry, in SVG user units.
const (
	chartBarWidth = 10
	chartBarGap   = 2
	chartHeight   = 100
)

// newClickChart lays out the days, oldest first.
func newClickChart(days []tandem.ClickDay, empty string) *clickChart {
	c := &clickChart{Width: len(days) * chartBarWidth, Height: chartHeight, Empty: empty}
	for _, d := range days {
		c.Peak = max(c.Peak, d.Clicks)
		c.Total += d.Clicks
		c.Unique += d.Unique
		c.Bots += d.Bots
	}
	if len(days) > 0 {
		c.First, c.Last = days[0].Day, days[len(days)-1].Day
	}
	for i, d := range days {
		h, uh := barHeight(d.Clicks, c.Peak), barHeight(d.Unique, c.Peak)
		c.Bars = append(c.Bars, chartBar{X: i * chartBarWidth, Y: chartHeight - h, H: h, UY: chartHeight - uh, UH: uh,
			Title: fmt.Sprintf("%s: %d clicks, %d unique", d.Day.Format("Mon 2 Jan"), d.Clicks, d.Unique)})
	}
	return c
}

// BarWidth is the drawn width of a bar, leaving a gap to the next.
func (c *clickChart) BarWidth() int { return chartBarWidth - chartBarGap }

// barHeight scales n against the peak; a day with any click shows.
func barHeight(n, peak int64) int {
	if n <= 0 || peak <= 0 {
		return 0
	}
	return max(1, int(n*chartHeight/peak))
}
