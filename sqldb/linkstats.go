package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
)

// Click charts and recent counts read click_rollups, whose days are
// YYYY-MM-DD in the program's time zone, and never the raw clicks: their
// cost grows with links × days, not with traffic.

// maxChartDays bounds a chart's span.
const maxChartDays = 366

// programDays returns the n days (midnight in the program's time zone)
// that end with now's day, oldest first.
func programDays(now time.Time, p *tandem.Program, n int) []time.Time {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC // as the click store does
	}
	y, m, d := now.In(loc).Date()
	days := make([]time.Time, n)
	for i := range days {
		days[i] = time.Date(y, m, d-(n-1-i), 0, 0, 0, 0, loc)
	}
	return days
}

// ClickChart sums the rollups of the links the filter selects per day.
func (s *LinkService) ClickChart(ctx context.Context, filter tandem.ClickChartFilter) ([]tandem.ClickDay, error) {
	n := filter.Days
	switch {
	case n == 0:
		n = tandem.ChartDays
	case n < 0 || n > maxChartDays:
		return nil, tandem.Invalidf("days", "A chart spans 1 to %d days.", maxChartDays)
	}
	var out []tandem.ClickDay
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		program, err := findProgramByID(ctx, tx, filter.ProgramID)
		if err != nil {
			return err
		}
		days := programDays(tx.now, program, n)
		index := make(map[string]int, n)
		out = make([]tandem.ClickDay, n)
		for i, d := range days {
			out[i].Day = d
			index[d.Format(time.DateOnly)] = i
		}
		var w where
		w.eq("l.program_id", program.ID)
		w.eq("l.partner_id", filter.PartnerID)
		w.args = append(w.args, days[0].Format(time.DateOnly))
		w.conds = append(w.conds, fmt.Sprintf("r.day >= $%d", len(w.args)))
		rows, err := tx.QueryContext(ctx, `
			SELECT r.day, CAST(SUM(r.clicks) AS BIGINT), CAST(SUM(r.unique_clicks) AS BIGINT), CAST(SUM(r.bot_clicks) AS BIGINT)
			FROM click_rollups r JOIN links l ON l.id = r.link_id
			`+w.String()+` GROUP BY r.day`, w.args...)
		if err != nil {
			return fmt.Errorf("click chart: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var day string
			var c tandem.ClickDay
			if err := rows.Scan(&day, &c.Clicks, &c.Unique, &c.Bots); err != nil {
				return fmt.Errorf("click chart: %w", err)
			}
			if i, ok := index[day]; ok { // a day after today (a clock moved back) is left out
				c.Day = out[i].Day
				out[i] = c
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recentClicks fills in the links' RecentClicks: their unique clicks of the
// last tandem.RecentDays days of each link's program's calendar.
func recentClicks(ctx context.Context, tx *Tx, ls []*tandem.Link) error {
	byProgram := map[string][]*tandem.Link{}
	var programIDs []string
	for _, l := range ls {
		if byProgram[l.ProgramID] == nil {
			programIDs = append(programIDs, l.ProgramID)
		}
		byProgram[l.ProgramID] = append(byProgram[l.ProgramID], l)
	}
	for _, id := range programIDs {
		program, err := findProgramByID(ctx, tx, id)
		if err != nil {
			return err
		}
		links := byProgram[id]
		byID := make(map[string]*tandem.Link, len(links))
		args := []any{programDays(tx.now, program, tandem.RecentDays)[0].Format(time.DateOnly)}
		in := ""
		for i, l := range links {
			byID[l.ID] = l
			args = append(args, l.ID)
			if i > 0 {
				in += ", "
			}
			in += fmt.Sprintf("$%d", i+2)
		}
		if err := func() error {
			rows, err := tx.QueryContext(ctx, `SELECT link_id, CAST(SUM(unique_clicks) AS BIGINT) FROM click_rollups
				WHERE day >= $1 AND link_id IN (`+in+`) GROUP BY link_id`, args...)
			if err != nil {
				return fmt.Errorf("recent link clicks: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				var linkID string
				var n int64
				if err := rows.Scan(&linkID, &n); err != nil {
					return fmt.Errorf("recent link clicks: %w", err)
				}
				byID[linkID].Stats.RecentClicks = n
			}
			return rows.Err()
		}(); err != nil {
			return err
		}
	}
	return nil
}
