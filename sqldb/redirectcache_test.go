package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// FindRedirect answers from memory, but a change made through this instance
// (archiving the link, a new program destination) shows at once.
func TestFindRedirectMemory(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog, link, _ := clickFixture(t, db)
		links := sqldb.NewLinkService(db)
		find := func() string {
			t.Helper()
			r, err := links.FindRedirect(ctx, link.Code)
			if err != nil {
				t.Fatal(err)
			}
			return r.Target
		}
		if r, err := links.FindRedirect(ctx, link.Code); err != nil || r.LinkID != link.ID || r.Target != "https://www.acme.example/" {
			t.Fatalf("FindRedirect = %+v, %v", r, err)
		}

		prog.DestinationURL = "https://www.acme.example/new"
		if err := sqldb.NewProgramService(db).UpdateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		if target := find(); target != "https://www.acme.example/new" {
			t.Errorf("target after the update = %s", target)
		}

		other := resMember(t, db, prog.ID, "other@example.com", tandem.MembershipApproved, "")
		extra, err := links.CreateLink(ctx, other.ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := links.FindRedirect(ctx, extra.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := links.ArchiveLink(ctx, other.ID, extra.ID); err != nil {
			t.Fatal(err)
		}
		if r, err := links.FindRedirect(ctx, extra.Code); err != nil || !r.Archived {
			t.Errorf("archived link still live in memory: %+v, %v", r, err)
		}
	})
}
