package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// FindRedirect answers from memory, but a change made through this instance
// (archiving the link, a new program destination) shows at once, and a
// caller cannot alter what the next caller gets.
func TestFindRedirectMemory(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog, link, _ := clickFixture(t, db)
		links := sqldb.NewLinkService(db)
		find := func() (string, bool) {
			t.Helper()
			l, p, err := links.FindRedirect(ctx, link.Code)
			if err != nil {
				t.Fatal(err)
			}
			return p.DestinationURL, !l.ArchivedAt.IsZero()
		}
		l, p, err := links.FindRedirect(ctx, link.Code)
		if err != nil || l.ID != link.ID || p.ID != prog.ID {
			t.Fatalf("FindRedirect = %+v, %+v, %v", l, p, err)
		}
		l.ID, p.DestinationURL = "lnk_changed", "https://changed.example/"
		if l, p, _ := links.FindRedirect(ctx, link.Code); l.ID != link.ID || p.DestinationURL != "https://www.acme.example/" {
			t.Errorf("a caller's change reached the memory: %s, %s", l.ID, p.DestinationURL)
		}

		prog.DestinationURL = "https://www.acme.example/new"
		if err := sqldb.NewProgramService(db).UpdateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		if dest, _ := find(); dest != "https://www.acme.example/new" {
			t.Errorf("destination after the update = %s", dest)
		}

		other := resMember(t, db, prog.ID, "other@example.com", tandem.MembershipApproved, "")
		extra, err := links.CreateLink(ctx, other.ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := links.FindRedirect(ctx, extra.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := links.ArchiveLink(ctx, other.ID, extra.ID); err != nil {
			t.Fatal(err)
		}
		if l, _, err := links.FindRedirect(ctx, extra.Code); err != nil || l.ArchivedAt.IsZero() {
			t.Errorf("archived link still live in memory: %+v, %v", l, err)
		}
	})
}
