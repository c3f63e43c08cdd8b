package http

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"rsc.io/qr"

	"github.com/tandem-prm/tandem"
)

func (s *Server) linkRoutes() {
	s.mux.Handle("GET /portal/links", s.requirePartner(s.handlePortalLinksIndex))
	s.mux.Handle("GET /portal/programs/{id}/links", s.requirePartner(s.handlePortalLinks))
	s.mux.Handle("POST /portal/programs/{id}/links", s.requirePartner(s.handleCreateLink))
	s.mux.Handle("POST /portal/links/{lid}/archive", s.requirePartner(s.handleArchiveLink))
	s.mux.Handle("GET /portal/links/{lid}/qr.png", s.requirePartner(s.handleLinkQRPNG))
	s.mux.Handle("GET /portal/links/{lid}/qr.svg", s.requirePartner(s.handleLinkQRSVG))
	s.adminLinkRoutes()
}

// shortURL is a link's public address: /r/{code} on this server.
func (s *Server) shortURL(code string) string {
	return strings.TrimSuffix(s.baseURL, "/") + "/r/" + code
}

// linkRow is a link as the portal shows it.
type linkRow struct {
	*tandem.Link
	ShortURL string
	Target   string // where it leads
	Problem  string // or why it leads nowhere yet
	Share    []shareButton
}

// shareButton is one "share on …" link.
type shareButton struct{ Label, URL string }

func (s *Server) linkRow(p *tandem.Program, l *tandem.Link) linkRow {
	short := s.shortURL(l.Code)
	target, err := tandem.TargetURL(p, l)
	problem := ""
	if err != nil {
		problem = tandem.ErrorMessage(err)
	}
	q := url.QueryEscape(short)
	return linkRow{Link: l, ShortURL: short, Target: target, Problem: problem, Share: []shareButton{
		{"Facebook", "https://www.facebook.com/sharer/sharer.php?u=" + q},
		{"X", "https://twitter.com/intent/tweet?url=" + q},
		{"LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url=" + q},
		{"Email", "mailto:?body=" + strings.ReplaceAll(q, "+", "%20")},
	}}
}

// linkAccess returns the viewer's membership of the program if it may have
// links: a program the partner is not in is ENOTFOUND, a membership that is
// not approved EFORBIDDEN. agreed is false while the partner has not
// accepted the program's current agreement.
func (s *Server) linkAccess(r *http.Request, programID string) (m *membershipView, agreed bool, err error) {
	ms, err := s.partnerMemberships(r, programID)
	if err != nil {
		return nil, false, err
	}
	if len(ms) == 0 {
		return nil, false, tandem.Errorf(tandem.ENOTFOUND, "Program not found.")
	}
	m = &ms[0]
	if m.Membership.Status != tandem.MembershipApproved {
		return nil, false, tandem.Errorf(tandem.EFORBIDDEN, "Referral links open once your membership of %s is approved; it is %s.", m.Program.Name, m.Membership.Status)
	}
	state, err := s.services.Agreements.AgreementStatus(r.Context(), m.Program.ID, m.Membership.PartnerID)
	if err != nil {
		return nil, false, err
	}
	return m, tandem.MayCreateLinks(*m.Membership, state), nil
}

// handlePortalLinksIndex opens the links of the partner's only approved
// program, or lets them choose one.
func (s *Server) handlePortalLinksIndex(w http.ResponseWriter, r *http.Request) {
	ms, err := s.partnerMemberships(r, "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var approved []membershipView
	for _, m := range ms {
		if m.Membership.Status == tandem.MembershipApproved {
			approved = append(approved, m)
		}
	}
	if len(approved) == 1 {
		http.Redirect(w, r, "/portal/programs/"+approved[0].Program.ID+"/links", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "portal_links", &page{Title: "Links", Area: "portal", Data: map[string]any{"Choose": true, "Memberships": approved}})
}

func (s *Server) handlePortalLinks(w http.ResponseWriter, r *http.Request) {
	s.renderLinks(w, r, http.StatusOK, nil, nil)
}

// renderLinks shows the partner's links in a program, making the default
// link first if it does not exist yet. Before the current agreement is
// accepted it answers 403 with the way to the terms.
func (s *Server) renderLinks(w http.ResponseWriter, r *http.Request, status int, f *form, fl *flash) {
	ctx := r.Context()
	m, agreed, err := s.linkAccess(r, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !agreed {
		s.render(w, r, http.StatusForbidden, "portal_links", &page{Title: "Links · " + m.Program.Name, Area: "portal", Data: map[string]any{
			"Program": m.Program, "Blocked": true}})
		return
	}
	partner := viewerFrom(ctx).partner
	if _, err := s.services.Links.EnsureDefaultLink(ctx, partner.ID, m.Program.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	links, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{PartnerID: partner.ID, ProgramID: m.Program.ID, Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	slices.SortStableFunc(links, func(a, b *tandem.Link) int { // the default link first
		switch {
		case a.IsDefault == b.IsDefault:
			return 0
		case a.IsDefault:
			return -1
		default:
			return 1
		}
	})
	rows := make([]linkRow, 0, len(links))
	for _, l := range links {
		rows = append(rows, s.linkRow(m.Program, l))
	}
	days, err := s.services.Links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: m.Program.ID, PartnerID: partner.ID})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	chart := newClickChart(days, "Share a link: its clicks show here, per day.")
	s.render(w, r, status, "portal_links", &page{Title: "Links · " + m.Program.Name, Area: "portal", Form: f, Flash: fl, Data: map[string]any{
		"Program": m.Program, "Links": rows, "Chart": chart, "Channels": tandem.LinkChannels, "DestinationHint": destinationHint(m.Program)}})
}

func (s *Server) handleCreateLink(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	m, agreed, err := s.linkAccess(r, r.PathValue("id"))
	if err == nil && !agreed {
		err = tandem.Errorf(tandem.EFORBIDDEN, "Accept the current partner agreement of %s before creating links.", m.Program.Name)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partner := viewerFrom(r.Context()).partner
	l, err := s.services.Links.CreateLink(r.Context(), partner.ID, m.Program.ID, tandem.LinkInput{
		Channel: tandem.LinkChannel(r.PostFormValue("channel")), Label: r.PostFormValue("label"),
		Destination: r.PostFormValue("destination"), Code: r.PostFormValue("code"),
		UTM: tandem.UTM{Source: r.PostFormValue("utm_source"), Medium: r.PostFormValue("utm_medium"), Campaign: r.PostFormValue("utm_campaign"),
			Content: r.PostFormValue("utm_content"), Term: r.PostFormValue("utm_term")},
	})
	if code := tandem.ErrorCode(err); code == tandem.EFORBIDDEN || code == tandem.ENOTFOUND {
		s.Error(w, r, err)
		return
	} else if err != nil {
		s.formError(w, r, err, func(status int, f *form, fl *flash) { s.renderLinks(w, r, status, f, fl) })
		return
	}
	s.setFlash(r, "Link created: "+s.shortURL(l.Code))
	http.Redirect(w, r, "/portal/programs/"+m.Program.ID+"/links", http.StatusSeeOther)
}

func (s *Server) handleArchiveLink(w http.ResponseWriter, r *http.Request) {
	partner := viewerFrom(r.Context()).partner
	l, err := s.services.Links.ArchiveLink(r.Context(), partner.ID, r.PathValue("lid"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.setFlash(r, "Link archived: "+s.shortURL(l.Code)+" no longer shows here.")
	http.Redirect(w, r, "/portal/programs/"+l.ProgramID+"/links", http.StatusSeeOther)
}

// ownLink returns one of the viewer's links; another partner's is ENOTFOUND.
func (s *Server) ownLink(r *http.Request) (*tandem.Link, error) {
	l, err := s.services.Links.FindLinkByID(r.Context(), r.PathValue("lid"))
	if err != nil {
		return nil, err
	}
	if l.PartnerID != viewerFrom(r.Context()).partner.ID {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Link not found.")
	}
	return l, nil
}

// linkQR encodes the viewer's link's short URL as a QR code, with medium
// error correction (a logo sticker or a scuff still scans).
func (s *Server) linkQR(w http.ResponseWriter, r *http.Request) (*tandem.Link, *qr.Code, bool) {
	l, err := s.ownLink(r)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	code, err := qr.Encode(s.shortURL(l.Code), qr.M)
	if err != nil {
		s.Error(w, r, fmt.Errorf("qr code: %w", err))
		return nil, nil, false
	}
	code.Scale = qrScale
	return l, code, true
}

// qrScale is the pixels per module of the PNG (and the SVG's nominal size).
const qrScale = 8

func writeQR(w http.ResponseWriter, l *tandem.Link, contentType, ext string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="link-%s.%s"`, l.Code, ext))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	_, _ = w.Write(body)
}

func (s *Server) handleLinkQRPNG(w http.ResponseWriter, r *http.Request) {
	if l, code, ok := s.linkQR(w, r); ok {
		writeQR(w, l, "image/png", "png", code.PNG())
	}
}

func (s *Server) handleLinkQRSVG(w http.ResponseWriter, r *http.Request) {
	if l, code, ok := s.linkQR(w, r); ok {
		writeQR(w, l, "image/svg+xml", "svg", qrSVG(code))
	}
}

// qrSVG draws the code's modules as one path, with the four-module quiet
// zone the standard asks for. Nothing from the user goes into it.
func qrSVG(c *qr.Code) []byte {
	n := c.Size + 8
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n*qrScale, n*qrScale, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes()
}

// destinationHint says which pages a deep link may lead to.
func destinationHint(p *tandem.Program) string {
	if len(p.AllowedDomains) == 0 {
		return "This program has no website set up yet; leave this empty."
	}
	hint := "A page on " + strings.Join(p.AllowedDomains, ", ") + ", such as https://" + p.AllowedDomains[0] + "/pricing."
	if p.DestinationURL != "" {
		hint += " Empty leads to " + p.DestinationURL + "."
	}
	return hint
}

// defaultLinkURL returns the short URL of the partner's default link in the
// program, or otherwise when it has none yet.
func (s *Server) defaultLinkURL(ctx context.Context, partnerID, programID, otherwise string) (string, error) {
	ls, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{PartnerID: partnerID, ProgramID: programID, Limit: 1000})
	if err != nil {
		return "", err
	}
	if i := slices.IndexFunc(ls, func(l *tandem.Link) bool { return l.IsDefault }); i >= 0 {
		return s.shortURL(ls[i].Code), nil
	}
	return otherwise, nil
}
