package sqldb_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestProgramService(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		now := time.Date(2026, 11, 24, 9, 30, 15, 123_456_789, time.UTC)
		db.Now = fixedClock(now)
		ctx := tandem.WithActor(context.Background(), tandem.Actor{Kind: tandem.ActorUser, ID: "usr_x", IP: "192.0.2.1"})
		s := sqldb.NewProgramService(db)

		p := &tandem.Program{Name: " Referral Partners ", Slug: "partners", Type: tandem.ProgramReferral, Currency: "NOK", TimeZone: "Europe/Oslo", AutoApprove: true,
			DestinationURL: "https://www.fjordline.example/pricing", AllowedDomains: []string{"Docs.Fjordline.example"}, Headline: "Earn 20%"}
		if err := s.CreateProgram(ctx, p); err != nil {
			t.Fatal(err)
		}
		if !tandem.HasPrefix(p.ID, tandem.PrefixProgram) {
			t.Errorf("ID %q is not a program ID", p.ID)
		}
		got, err := s.FindProgramByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := tandem.Program{ID: p.ID, Slug: "partners", Name: "Referral Partners", Type: tandem.ProgramReferral,
			Currency: "NOK", TimeZone: "Europe/Oslo", CookieDays: 30, Attribution: tandem.LastClick, AutoApprove: true,
			Status: tandem.ProgramActive, DestinationURL: "https://www.fjordline.example/pricing",
			AllowedDomains: []string{"www.fjordline.example", "docs.fjordline.example"}, Headline: "Earn 20%",
			ClickParam: "tandem_click", RefParams: []string{"ref", "via", "fp_ref"},
			CreatedAt: now.Truncate(time.Millisecond), UpdatedAt: now.Truncate(time.Millisecond)}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("stored program\n got %+v\nwant %+v", *got, want)
		}

		// A taken slug is a conflict on the slug field, and stores nothing.
		err = s.CreateProgram(ctx, &tandem.Program{Name: "Other", Slug: "partners", Type: tandem.ProgramAffiliate, Currency: "USD"})
		if tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "slug" {
			t.Errorf("duplicate slug: %v; want conflict on slug", err)
		}
		// Bad input is refused before anything is written.
		err = s.CreateProgram(ctx, &tandem.Program{Name: "Bad", Slug: "bad", Type: tandem.ProgramAffiliate, Currency: "XYZ"})
		if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "currency" {
			t.Errorf("bad currency: %v; want invalid currency", err)
		}
		all, err := s.FindPrograms(ctx, tandem.ProgramFilter{})
		if err != nil || len(all) != 1 {
			t.Fatalf("programs = %d, %v; want only the first", len(all), err)
		}
		if bySlug, err := s.FindPrograms(ctx, tandem.ProgramFilter{Slug: "partners"}); err != nil || len(bySlug) != 1 || bySlug[0].ID != p.ID {
			t.Errorf("find by slug = %v, %v", bySlug, err)
		}
		if _, err := s.FindProgramByID(ctx, "prg_doesnotexist"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("missing program: %v; want not found", err)
		}

		// An update keeps the ID and creation time, and audits what changed.
		later := now.Add(time.Hour)
		db.Now = fixedClock(later)
		edit := *got
		edit.CookieDays, edit.Status = 60, tandem.ProgramArchived
		edit.ClickParam, edit.RefParams = "aff_click", []string{"aff", "ref"}
		if err := s.UpdateProgram(ctx, &edit); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.FindProgramByID(ctx, p.ID); again.CookieDays != 60 || again.Status != tandem.ProgramArchived || !again.CreatedAt.Equal(got.CreatedAt) || !again.UpdatedAt.Equal(later.Truncate(time.Millisecond)) ||
			again.ClickParam != "aff_click" || !reflect.DeepEqual(again.RefParams, []string{"aff", "ref"}) {
			t.Errorf("after update: %+v", again)
		}
		bad := edit
		bad.DestinationURL = "javascript:alert(1)"
		if err := s.UpdateProgram(ctx, &bad); tandem.ErrorField(err) != "destination_url" {
			t.Errorf("bad destination: %v", err)
		}
		// The creation and the change are audited with who did them and from where.
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: p.ID})
		if err != nil || len(entries) != 2 {
			t.Fatalf("audit entries = %v, %v; want 2", entries, err)
		}
		if entries[0].Action != "program.update" || !strings.Contains(entries[0].Detail, `"cookie_days":{"from":30,"to":60}`) ||
			!strings.Contains(entries[0].Detail, `"click_param":{"from":"tandem_click","to":"aff_click"}`) || !strings.Contains(entries[0].Detail, `"ref_params":{"from":["ref","via","fp_ref"],"to":["aff","ref"]}`) {
			t.Errorf("update audit = %s %s", entries[0].Action, entries[0].Detail)
		}
		e := entries[1]
		if e.Action != "program.create" || e.ActorKind != tandem.ActorUser || e.ActorID != "usr_x" || e.IP != "192.0.2.1" || !e.OccurredAt.Equal(now.Truncate(time.Millisecond)) {
			t.Errorf("audit entry = %+v", e)
		}
	})
}
