package http

import (
	"net/http"

	"github.com/tandem-prm/tandem"
)

// The admin's views of partners' links: a program's links (filtered by
// partner, paged) and a partner's links in each of its programs, each with
// the per-day click chart. Whoever may view partners may view them.

// adminLinkPage is how many links one page of the admin lists shows.
const adminLinkPage = 50

func (s *Server) adminLinkRoutes() {
	s.mux.Handle("GET /admin/programs/{id}/links", s.requireUser(tandem.PermView, s.handleAdminProgramLinks))
	s.mux.Handle("GET /admin/partners/{id}/links", s.requireUser(tandem.PermView, s.handleAdminPartnerLinks))
}

// adminLinkRow is a link as the admin lists show it.
type adminLinkRow struct {
	linkRow
	PartnerName string
}

// partnerOption is a partner of the program links page's filter.
type partnerOption struct {
	ID, Name string
	Chosen   bool
}

// handleAdminProgramLinks lists a program's links, archived ones included,
// oldest first, adminLinkPage at a time (?cursor=), optionally of one
// partner (?partner=), under the program's (or the partner's) click chart.
func (s *Server) handleAdminProgramLinks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	program, err := s.services.Programs.FindProgramByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partnerID := r.FormValue("partner")
	from, err := decodeCursor(r.FormValue("cursor"), 1, tandem.PrefixLink)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	links, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{ProgramID: program.ID, PartnerID: partnerID, IncludeArchived: true,
		After: from.String(), Limit: adminLinkPage + 1})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	next := ""
	if len(links) > adminLinkPage {
		links = links[:adminLinkPage]
		last := links[len(links)-1]
		next = encodeCursor(createdKey(last.CreatedAt, last.ID))
	}
	days, err := s.services.Links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: program.ID, PartnerID: partnerID})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	names, err := s.partnerNames(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	options, err := s.memberOptions(r, program.ID, partnerID, names)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rows := make([]adminLinkRow, len(links))
	for i, l := range links {
		rows[i] = adminLinkRow{linkRow: s.linkRow(program, l), PartnerName: names.of(l.PartnerID)}
	}
	empty := "Clicks on this program's links show here, per day."
	if partnerID != "" {
		empty = "Clicks on this partner's links show here, per day."
	}
	s.render(w, r, http.StatusOK, "admin_program_links", &page{Title: "Links · " + program.Name, Area: "admin", Data: map[string]any{
		"Program": program, "Rows": rows, "Partners": options, "Partner": partnerID, "PartnerName": names.of(partnerID),
		"Next": next, "Paged": from.id != "", "Chart": newClickChart(days, empty)}})
}

// partnerSection is one program on a partner's links page.
type partnerSection struct {
	Program    *tandem.Program
	Membership *tandem.Membership
	Rows       []adminLinkRow
	More       bool // the program has more of the partner's links than shown
	Chart      *clickChart
}

// handleAdminPartnerLinks shows a partner's links in each of its programs,
// with each program's click chart of the partner's links.
func (s *Server) handleAdminPartnerLinks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	partner, err := s.services.Partners.FindPartnerByID(ctx, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	memberships, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{PartnerID: partner.ID, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sections := make([]partnerSection, 0, len(memberships))
	for _, m := range memberships {
		sec, err := s.partnerSection(r, partner, m)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		sections = append(sections, sec)
	}
	s.render(w, r, http.StatusOK, "admin_partner_links", &page{Title: "Links · " + partner.Name, Area: "admin", Data: map[string]any{
		"Partner": partner, "Sections": sections}})
}

func (s *Server) partnerSection(r *http.Request, partner *tandem.Partner, m *tandem.Membership) (partnerSection, error) {
	ctx := r.Context()
	sec := partnerSection{Membership: m}
	var err error
	if sec.Program, err = s.services.Programs.FindProgramByID(ctx, m.ProgramID); err != nil {
		return sec, err
	}
	links, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{ProgramID: m.ProgramID, PartnerID: partner.ID, IncludeArchived: true,
		Limit: adminLinkPage + 1})
	if err != nil {
		return sec, err
	}
	if len(links) > adminLinkPage {
		links, sec.More = links[:adminLinkPage], true
	}
	for _, l := range links {
		sec.Rows = append(sec.Rows, adminLinkRow{linkRow: s.linkRow(sec.Program, l), PartnerName: partner.Name})
	}
	days, err := s.services.Links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: m.ProgramID, PartnerID: partner.ID})
	if err != nil {
		return sec, err
	}
	sec.Chart = newClickChart(days, "Clicks on "+partner.Name+"'s links in this program show here, per day.")
	return sec, nil
}

// partnerNameMap names partners by ID.
type partnerNameMap map[string]string

// of returns the partner's name, or its ID when it is not known.
func (m partnerNameMap) of(id string) string {
	if name, ok := m[id]; ok {
		return name
	}
	return id
}

// memberOptions are the program's partners (the first 1000) to choose
// from, chosen marked.
func (s *Server) memberOptions(r *http.Request, programID, chosen string, names partnerNameMap) ([]partnerOption, error) {
	members, err := s.services.Partners.FindMemberships(r.Context(), tandem.MembershipFilter{ProgramID: programID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	options := make([]partnerOption, len(members))
	for i, m := range members {
		options[i] = partnerOption{ID: m.PartnerID, Name: names.of(m.PartnerID), Chosen: m.PartnerID == chosen}
	}
	return options, nil
}

// partnerNames names the business's partners (the first 1000, as the
// partner list shows them).
func (s *Server) partnerNames(r *http.Request) (partnerNameMap, error) {
	partners, err := s.services.Partners.FindPartners(r.Context(), tandem.PartnerFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	names := partnerNameMap{}
	for _, p := range partners {
		names[p.ID] = p.Name
	}
	return names, nil
}
