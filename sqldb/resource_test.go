package sqldb_test

import (
	"bytes"
	"context"
	"database/sql"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// Test files: the smallest bytes each type is sniffed from, with binary
// bytes after them so a round trip that is not byte-exact shows.
var (
	testPDF = append([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n"), 0, 1, 2, 0xff, 0xfe, '\r', '\n', 0)
	testPNG = append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0xff)
)

// resExec runs SQL the services do not offer (yet) in a transaction.
func resExec(t testing.TB, db *sqldb.DB, query string, args ...any) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(query, args...); return err }); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// resCount counts the rows of a table.
func resCount(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// resGroup creates a partner group in a program with SQL.
func resGroup(t *testing.T, db *sqldb.DB, programID, name string) string {
	t.Helper()
	id := tandem.NewID(tandem.PrefixGroup)
	resExec(t, db, `INSERT INTO partner_groups (id, program_id, name, position, created_at) VALUES ($1, $2, $3, 0, 0)`, id, programID, name)
	return id
}

// resMember creates a partner in the program with the status (and group).
func resMember(t testing.TB, db *sqldb.DB, programID, email string, status tandem.MembershipStatus, groupID string) *tandem.Partner {
	t.Helper()
	ctx := context.Background()
	partners := sqldb.NewPartnerService(db)
	p := &tandem.Partner{Name: email, Email: email}
	if err := partners.CreatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	m, err := partners.JoinProgram(ctx, programID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range map[tandem.MembershipStatus][]tandem.MembershipStatus{
		tandem.MembershipApproved:  {tandem.MembershipApproved},
		tandem.MembershipSuspended: {tandem.MembershipApproved, tandem.MembershipSuspended},
		tandem.MembershipRejected:  {tandem.MembershipRejected},
	}[status] {
		if _, err := partners.SetMembershipStatus(ctx, m.ID, to, "because"); err != nil {
			t.Fatal(err)
		}
	}
	if groupID != "" {
		resExec(t, db, `UPDATE memberships SET group_id = $1 WHERE id = $2`, groupID, m.ID)
	}
	return p
}

func resProgram(t *testing.T, db *sqldb.DB, slug string) *tandem.Program {
	t.Helper()
	p := &tandem.Program{Name: "Program " + slug, Slug: slug, Type: tandem.ProgramReferral, Currency: "USD"}
	if err := sqldb.NewProgramService(db).CreateProgram(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateEveryKindOfResource(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		db.Now = fixedClock(now)
		ctx := tandem.WithActor(context.Background(), tandem.Actor{Kind: tandem.ActorUser, ID: "usr_x", IP: "192.0.2.1"})
		s := sqldb.NewResourceService(db)
		prog := resProgram(t, db, "library")

		for _, tt := range []struct {
			r    tandem.Resource
			file *tandem.Upload
			typ  string
		}{
			{r: tandem.Resource{Kind: tandem.ResourcePersona, Title: "Ops lead at a 50-person agency", Body: tandem.PersonaTemplate, Required: true}},
			{r: tandem.Resource{Kind: tandem.ResourceValueProp, Title: "Why teams switch", Body: "- Saves a day a week"}},
			{r: tandem.Resource{Kind: tandem.ResourceCompetitor, Title: "Us vs Acme", Body: "| | Us | Acme |\n|-|-|-|\n| Price | $ | $$ |"}},
			{r: tandem.Resource{Kind: tandem.ResourceCopy, Title: "LinkedIn post", Body: "I use it daily: {link}"}},
			{r: tandem.Resource{Kind: tandem.ResourceVideo, Title: "Five-minute demo", URL: "https://www.youtube.com/watch?v=abc"}},
			{r: tandem.Resource{Kind: tandem.ResourceFile, Title: "Sales deck", Required: true},
				file: &tandem.Upload{Name: `C:\decks\Sales deck.pdf`, ContentType: "application/octet-stream", Data: testPDF}, typ: "application/pdf"},
			{r: tandem.Resource{Kind: tandem.ResourceBrand, Title: "Logo"},
				file: &tandem.Upload{Name: "logo.png", ContentType: "image/png", Data: testPNG}, typ: "image/png"},
		} {
			r := tt.r
			r.ProgramID = prog.ID
			if err := s.CreateResource(ctx, &r, tt.file); err != nil {
				t.Fatalf("create %s: %v", r.Kind, err)
			}
			if !tandem.HasPrefix(r.ID, tandem.PrefixResource) || !r.CreatedAt.Equal(now) {
				t.Errorf("%s: ID %q, created %v", r.Kind, r.ID, r.CreatedAt)
			}
			got, err := s.FindResourceByID(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if *got != r {
				t.Errorf("stored %s\n got %+v\nwant %+v", r.Kind, *got, r)
			}
			if tt.file == nil {
				if got.FileID != "" {
					t.Errorf("%s has a file %q", r.Kind, got.FileID)
				}
				continue
			}
			if !tandem.HasPrefix(got.FileID, tandem.PrefixFile) || got.FileType != tt.typ || got.FileSize != int64(len(tt.file.Data)) {
				t.Errorf("%s file = %q %q %d", r.Kind, got.FileID, got.FileType, got.FileSize)
			}
			f, err := s.OpenFile(ctx, got.FileID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Data, tt.file.Data) || f.ContentType != tt.typ || f.Name != got.FileName {
				t.Errorf("%s: file round trip changed it: %q %q % x", r.Kind, f.Name, f.ContentType, f.Data)
			}
		}
		all, err := s.FindResources(ctx, tandem.ResourceFilter{ProgramID: prog.ID})
		if err != nil || len(all) != 7 {
			t.Fatalf("resources = %d, %v", len(all), err)
		}
		for i, r := range all {
			if r.Position != i+1 {
				t.Errorf("resource %d (%s) has position %d", i, r.Kind, r.Position)
			}
		}
		if all[5].FileName != "Sales deck.pdf" {
			t.Errorf("file name = %q; want the base name", all[5].FileName)
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: all[0].ID})
		if err != nil || len(entries) != 1 || entries[0].Action != "resource.create" || entries[0].ActorID != "usr_x" {
			t.Errorf("audit = %+v, %v", entries, err)
		}
		if _, err := s.OpenFile(ctx, "fil_doesnotexist"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("missing file: %v", err)
		}
		if _, err := s.FindResourceByID(ctx, "res_doesnotexist"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("missing resource: %v", err)
		}
		if err := s.CreateResource(ctx, &tandem.Resource{ProgramID: "prg_doesnotexist", Kind: tandem.ResourceValueProp, Title: "x", Body: "x"}, nil); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("resource of a missing program: %v", err)
		}
	})
}

func TestRefusedFilesStoreNothing(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewResourceService(db)
		prog := resProgram(t, db, "files")
		other := resProgram(t, db, "other")
		otherGroup := resGroup(t, db, other.ID, "Gold")

		tooBig := make([]byte, tandem.MaxFileSize+1)
		copy(tooBig, testPDF)
		for _, tt := range []struct {
			name  string
			r     tandem.Resource
			file  *tandem.Upload
			field string
		}{
			{"10 MiB + 1", tandem.Resource{Kind: tandem.ResourceFile}, &tandem.Upload{Name: "big.pdf", ContentType: "application/pdf", Data: tooBig}, "file"},
			{"svg", tandem.Resource{Kind: tandem.ResourceBrand}, &tandem.Upload{Name: "logo.svg", ContentType: "image/svg+xml",
				Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}, "file"},
			{"svg with xml declaration", tandem.Resource{Kind: tandem.ResourceBrand}, &tandem.Upload{Name: "logo.png", ContentType: "image/png",
				Data: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}, "file"},
			{"html claiming to be a pdf", tandem.Resource{Kind: tandem.ResourceFile}, &tandem.Upload{Name: "deck.pdf", ContentType: "application/pdf",
				Data: []byte("<!DOCTYPE html><script>alert(1)</script>")}, "file"},
			{"empty", tandem.Resource{Kind: tandem.ResourceFile}, &tandem.Upload{Name: "empty.pdf"}, "file"},
			{"no file", tandem.Resource{Kind: tandem.ResourceFile}, nil, "file"},
			{"file on a persona", tandem.Resource{Kind: tandem.ResourcePersona, Body: "x"}, &tandem.Upload{Name: "a.pdf", Data: testPDF}, "file"},
			{"bad title with a good file", tandem.Resource{Kind: tandem.ResourceFile, Title: " "}, &tandem.Upload{Name: "a.pdf", Data: testPDF}, "title"},
			{"another program's group", tandem.Resource{Kind: tandem.ResourceFile, GroupID: otherGroup}, &tandem.Upload{Name: "a.pdf", Data: testPDF}, "group_id"},
			{"unknown group", tandem.Resource{Kind: tandem.ResourceFile, GroupID: "grp_nope"}, &tandem.Upload{Name: "a.pdf", Data: testPDF}, "group_id"},
		} {
			r := tt.r
			r.ProgramID = prog.ID
			if r.Title == "" {
				r.Title = "A file"
			}
			err := s.CreateResource(ctx, &r, tt.file)
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
				t.Errorf("%s: %v; want invalid %s", tt.name, err, tt.field)
			}
			if r.ID != "" || r.FileID != "" {
				t.Errorf("%s: refused resource got IDs %q %q", tt.name, r.ID, r.FileID)
			}
		}
		if n, m := resCount(t, db, "files"), resCount(t, db, "resources"); n != 0 || m != 0 {
			t.Errorf("after refusals: %d files, %d resources; want none", n, m)
		}
		// The largest allowed file is stored.
		largest := tooBig[:tandem.MaxFileSize]
		r := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceFile, Title: "Largest"}
		if err := s.CreateResource(ctx, r, &tandem.Upload{Name: "largest.pdf", Data: largest}); err != nil {
			t.Fatal(err)
		}
		if f, err := s.OpenFile(ctx, r.FileID); err != nil || !bytes.Equal(f.Data, largest) || f.Size != tandem.MaxFileSize {
			t.Errorf("largest file: %v", err)
		}
	})
}

func TestPartnersSeeTheirResourcesOnly(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewResourceService(db)
		prog := resProgram(t, db, "main")
		other := resProgram(t, db, "other")
		gold, silver := resGroup(t, db, prog.ID, "Gold"), resGroup(t, db, prog.ID, "Silver")

		inGold := resMember(t, db, prog.ID, "gold@example.com", tandem.MembershipApproved, gold)
		inSilver := resMember(t, db, prog.ID, "silver@example.com", tandem.MembershipApproved, silver)
		noGroup := resMember(t, db, prog.ID, "plain@example.com", tandem.MembershipApproved, "")
		pending := resMember(t, db, prog.ID, "pending@example.com", tandem.MembershipPending, "")
		suspended := resMember(t, db, prog.ID, "suspended@example.com", tandem.MembershipSuspended, gold)
		elsewhere := resMember(t, db, other.ID, "elsewhere@example.com", tandem.MembershipApproved, "")

		everyone := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceFile, Title: "For everyone", Required: true}
		goldOnly := &tandem.Resource{ProgramID: prog.ID, GroupID: gold, Kind: tandem.ResourceBrand, Title: "Gold only"}
		archived := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceValueProp, Title: "Old pitch", Body: "x"}
		otherRes := &tandem.Resource{ProgramID: other.ID, Kind: tandem.ResourceValueProp, Title: "Other program's", Body: "x"}
		for _, r := range []*tandem.Resource{everyone, goldOnly, archived, otherRes} {
			var file *tandem.Upload
			if r.Kind.TakesFile() {
				file = &tandem.Upload{Name: r.Title + ".pdf", Data: testPDF}
			}
			if err := s.CreateResource(ctx, r, file); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ArchiveResource(ctx, archived.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.ArchiveResource(ctx, archived.ID); err != nil {
			t.Errorf("archiving twice: %v", err)
		}

		ids := func(rs []*tandem.Resource) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, tt := range []struct {
			name    string
			partner *tandem.Partner
			want    []string
		}{
			{"gold", inGold, []string{everyone.ID, goldOnly.ID}},
			{"silver", inSilver, []string{everyone.ID}},
			{"no group", noGroup, []string{everyone.ID}},
			{"pending", pending, nil},
			{"suspended", suspended, nil},
			{"another program", elsewhere, nil},
		} {
			got, err := s.FindResources(ctx, tandem.ResourceFilter{ProgramID: prog.ID, PartnerID: tt.partner.ID})
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("%s sees %v, %v; want %v", tt.name, ids(got), err, tt.want)
			}
			// The file of the gold-only brand asset, by its file ID.
			byFile, err := s.FindResources(ctx, tandem.ResourceFilter{FileID: goldOnly.FileID, PartnerID: tt.partner.ID})
			if canSee := slices.Contains(tt.want, goldOnly.ID); err != nil || (len(byFile) == 1) != canSee {
				t.Errorf("%s finds the gold file: %v, %v; want %v", tt.name, ids(byFile), err, canSee)
			}
		}
		if got, _ := s.FindResources(ctx, tandem.ResourceFilter{PartnerID: elsewhere.ID}); !slices.Equal(ids(got), []string{otherRes.ID}) {
			t.Errorf("partner of the other program sees %v", ids(got))
		}
		if got, _ := s.FindResources(ctx, tandem.ResourceFilter{ProgramID: prog.ID, IncludeArchived: true}); len(got) != 3 || !got[2].Archived() {
			t.Errorf("admin with archived sees %v", ids(got))
		}
		if got, _ := s.FindResources(ctx, tandem.ResourceFilter{ProgramID: prog.ID, GroupID: gold}); !slices.Equal(ids(got), []string{goldOnly.ID}) {
			t.Errorf("gold group filter = %v", ids(got))
		}
	})
}

func TestMarkResourceRead(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		first := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		db.Now = fixedClock(first)
		ctx := context.Background()
		s := sqldb.NewResourceService(db)
		prog := resProgram(t, db, "reads")
		gold := resGroup(t, db, prog.ID, "Gold")
		me := resMember(t, db, prog.ID, "me@example.com", tandem.MembershipApproved, "")
		goldOnly := &tandem.Resource{ProgramID: prog.ID, GroupID: gold, Kind: tandem.ResourceValueProp, Title: "Gold pitch", Body: "x"}
		persona := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourcePersona, Title: "Persona", Body: tandem.PersonaTemplate, Required: true}
		for _, r := range []*tandem.Resource{goldOnly, persona} {
			if err := s.CreateResource(ctx, r, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkResourceRead(ctx, me.ID, persona.ID); err != nil {
			t.Fatal(err)
		}
		db.Now = fixedClock(first.Add(time.Hour))
		if err := s.MarkResourceRead(ctx, me.ID, persona.ID); err != nil {
			t.Errorf("marking again: %v", err)
		}
		reads, err := s.ReadResources(ctx, me.ID, prog.ID)
		if err != nil || len(reads) != 1 || !reads[persona.ID].Equal(first) {
			t.Errorf("reads = %v, %v; want the persona read at %v", reads, err, first)
		}
		if n := resCount(t, db, "resource_reads"); n != 1 {
			t.Errorf("%d read rows; want 1", n)
		}
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: persona.ID})
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if slices.Sort(actions); !slices.Equal(actions, []string{"resource.create", "resource.read"}) {
			t.Errorf("audit actions = %v; want create and one read", actions)
		}
		// What the partner may not see cannot be marked.
		for _, id := range []string{goldOnly.ID, "res_doesnotexist", ""} {
			if err := s.MarkResourceRead(ctx, me.ID, id); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("mark %q read: %v; want not found", id, err)
			}
		}
		if err := s.MarkResourceRead(ctx, "", persona.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("mark read without a partner: %v", err)
		}
		if reads, _ := s.ReadResources(ctx, me.ID, "prg_other"); len(reads) != 0 {
			t.Errorf("reads in another program = %v", reads)
		}
	})
}

func TestUpdateResource(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		// Every transaction a second later, so the audit log's order is certain.
		var tick atomic.Int64
		db.Now = func() time.Time { return time.Date(2026, 5, 1, 0, 0, int(tick.Add(1)), 0, time.UTC) }
		ctx := context.Background()
		s := sqldb.NewResourceService(db)
		prog := resProgram(t, db, "update")
		r := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceFile, Title: "Deck v1"}
		if err := s.CreateResource(ctx, r, &tandem.Upload{Name: "v1.pdf", Data: testPDF}); err != nil {
			t.Fatal(err)
		}
		oldFile := r.FileID

		// Text changes keep the file.
		edit := &tandem.Resource{ID: r.ID, Kind: tandem.ResourceFile, Title: "Deck", Body: "The deck we use.", Required: true}
		if err := s.UpdateResource(ctx, edit, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindResourceByID(ctx, r.ID); got.Title != "Deck" || !got.Required || got.FileID != oldFile || got.Position != r.Position || got.ProgramID != prog.ID {
			t.Errorf("after edit: %+v", got)
		}
		// A new file replaces the old one, whose bytes go.
		edit = &tandem.Resource{ID: r.ID, Kind: tandem.ResourceFile, Title: "Deck"}
		if err := s.UpdateResource(ctx, edit, &tandem.Upload{Name: "v2.png", Data: testPNG}); err != nil {
			t.Fatal(err)
		}
		if edit.FileID == oldFile || edit.FileType != "image/png" {
			t.Errorf("replaced file = %q %q", edit.FileID, edit.FileType)
		}
		if _, err := s.OpenFile(ctx, oldFile); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("old file after replacement: %v", err)
		}
		// A refused file changes nothing.
		bad := &tandem.Resource{ID: r.ID, Kind: tandem.ResourceFile, Title: "Bad"}
		if err := s.UpdateResource(ctx, bad, &tandem.Upload{Name: "x.svg", Data: []byte("<svg/>")}); tandem.ErrorField(err) != "file" {
			t.Errorf("svg update: %v", err)
		}
		if got, _ := s.FindResourceByID(ctx, r.ID); got.Title != "Deck" || got.FileID != edit.FileID {
			t.Errorf("after a refused update: %+v", got)
		}
		// Becoming text drops the file.
		text := &tandem.Resource{ID: r.ID, Kind: tandem.ResourceValueProp, Title: "Pitch", Body: "Fast."}
		if err := s.UpdateResource(ctx, text, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindResourceByID(ctx, r.ID); got.FileID != "" || resCount(t, db, "files") != 0 {
			t.Errorf("text resource kept its file: %+v", got)
		}
		if err := s.UpdateResource(ctx, &tandem.Resource{ID: "res_nope", Kind: tandem.ResourceValueProp, Title: "x", Body: "x"}, nil); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("update a missing resource: %v", err)
		}
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: r.ID})
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if !slices.Equal(actions, []string{"resource.update", "resource.update", "resource.update", "resource.create"}) {
			t.Errorf("audit actions = %v", actions)
		}
	})
}
