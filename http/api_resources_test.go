package http_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// apiPNG is the start of a PNG file: enough for content sniffing.
var apiPNG = append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0xff)

// A program's resources are listed with their file's metadata, never its
// bytes; archived ones only when asked for.
func TestAPIResources(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		resources := sqldb.NewResourceService(db)
		prog := a.partnerIn("acme", "jane@example.com")
		gold, err := sqldb.NewRecruitingService(db).CreateGroup(ctx, prog.ID, "Gold")
		if err != nil {
			t.Fatal(err)
		}
		persona := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourcePersona, Title: "Who buys", Body: "Agency owners.", Required: true}
		logo := &tandem.Resource{ProgramID: prog.ID, GroupID: gold.ID, Kind: tandem.ResourceBrand, Title: "Logo"}
		video := &tandem.Resource{ProgramID: prog.ID, Kind: tandem.ResourceVideo, Title: "Demo", URL: "https://vimeo.com/123456"}
		for _, r := range []*tandem.Resource{persona, logo, video} {
			var file *tandem.Upload
			if r == logo {
				file = &tandem.Upload{Name: "logo.png", Data: apiPNG}
			}
			if err := resources.CreateResource(ctx, r, file); err != nil {
				t.Fatal(err)
			}
		}
		if err := resources.ArchiveResource(ctx, video.ID); err != nil {
			t.Fatal(err)
		}

		res := apiCall(t, a, "GET", "/programs/"+prog.ID+"/resources", read, nil)
		live := decodeAs[tandemhttp.Page[tandemhttp.Resource]](t, res, http.StatusOK)
		if len(live.Data) != 2 || live.Data[0].ID != persona.ID || live.Data[1].ID != logo.ID || live.HasMore {
			t.Fatalf("resources = %s", res.body)
		}
		p, l := live.Data[0], live.Data[1]
		if p.Kind != tandem.ResourcePersona || p.Body != "Agency owners." || !p.Required || p.GroupID != nil || p.File != nil || p.ArchivedAt != nil {
			t.Errorf("persona = %+v", p)
		}
		if l.GroupID == nil || *l.GroupID != gold.ID || l.File == nil || l.File.ID != logo.FileID || l.File.Name != "logo.png" ||
			l.File.ContentType != "image/png" || l.File.Size != int64(len(apiPNG)) {
			t.Errorf("logo = %+v %+v", l, l.File)
		}
		if strings.Contains(res.body, "PNG") || !strings.Contains(res.body, `"group_id":null`) || !strings.Contains(res.body, `"archived_at":null`) {
			t.Errorf("the list shows file bytes or leaves out empty fields: %s", res.body)
		}

		all := decodeAs[tandemhttp.Page[tandemhttp.Resource]](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/resources?include_archived=true", read, nil), http.StatusOK)
		ids := []string{}
		for _, r := range all.Data {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, []string{persona.ID, logo.ID, video.ID}) || all.Data[2].ArchivedAt == nil || all.Data[2].URL != video.URL {
			t.Errorf("with archived = %+v", all.Data)
		}
		if got := decodeAs[tandemhttp.Page[tandemhttp.Resource]](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/resources?group_id="+gold.ID, read, nil), http.StatusOK); len(got.Data) != 1 || got.Data[0].ID != logo.ID {
			t.Errorf("group's resources = %+v", got.Data)
		}
		// One resource, archived or not.
		if got := decodeAs[tandemhttp.Resource](t, apiCall(t, a, "GET", "/resources/"+video.ID, read, nil), http.StatusOK); got.ID != video.ID || got.ArchivedAt == nil || got.ProgramID != prog.ID {
			t.Errorf("archived resource = %+v", got)
		}
		if got := decodeAs[tandemhttp.Resource](t, apiCall(t, a, "GET", "/resources/"+logo.ID, read, nil), http.StatusOK); got.File == nil || got.File.Size != int64(len(apiPNG)) {
			t.Errorf("logo = %+v", got)
		}
		res = apiCall(t, a, "GET", "/resources/"+tandem.NewID(tandem.PrefixResource), read, nil)
		if res.status != http.StatusNotFound || res.problem.Detail != "Resource not found." {
			t.Errorf("unknown resource = %d %+v", res.status, res.problem)
		}
	})
}
