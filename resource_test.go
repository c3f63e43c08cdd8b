package tandem_test

import (
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
)

func TestResourceValidate(t *testing.T) {
	t.Parallel()
	valid := map[tandem.ResourceKind]tandem.Resource{
		tandem.ResourcePersona:    {Body: tandem.PersonaTemplate},
		tandem.ResourceValueProp:  {Body: "- Saves a day a week"},
		tandem.ResourceCompetitor: {Body: "Unlike Acme, we …"},
		tandem.ResourceFile:       {FileID: "fil_x"},
		tandem.ResourceVideo:      {URL: "https://www.youtube.com/watch?v=abc"},
		tandem.ResourceCopy:       {Body: "Try it: {link}"},
		tandem.ResourceBrand:      {FileID: "fil_y"},
	}
	if len(valid) != len(tandem.ResourceKinds) {
		t.Fatalf("the test covers %d kinds of %d", len(valid), len(tandem.ResourceKinds))
	}
	for kind, r := range valid {
		r.ProgramID, r.Kind, r.Title = "prg_x", kind, "  A title  "
		r.Body = strings.ReplaceAll(r.Body, "\n", "\r\n") + "\r\n"
		if err := r.Validate(); err != nil {
			t.Errorf("valid %s: %v", kind, err)
		}
		if r.Title != "A title" || strings.Contains(r.Body, "\r") || strings.HasSuffix(r.Body, "\n") {
			t.Errorf("%s not normalised: %q %q", kind, r.Title, r.Body)
		}
	}

	for _, tt := range []struct {
		name, field string
		kind        tandem.ResourceKind
		change      func(*tandem.Resource)
	}{
		{"no program", "program_id", tandem.ResourcePersona, func(r *tandem.Resource) { r.ProgramID = "" }},
		{"no title", "title", tandem.ResourcePersona, func(r *tandem.Resource) { r.Title = "  " }},
		{"long title", "title", tandem.ResourcePersona, func(r *tandem.Resource) { r.Title = strings.Repeat("é", 201) }},
		{"unknown kind", "kind", "webinar", nil},
		{"no kind", "kind", "", nil},
		{"long body", "body", tandem.ResourceValueProp, func(r *tandem.Resource) { r.Body = strings.Repeat("x", 50_001) }},
		{"empty persona", "body", tandem.ResourcePersona, func(r *tandem.Resource) { r.Body = " \n " }},
		{"empty competitor", "body", tandem.ResourceCompetitor, func(r *tandem.Resource) { r.Body = "" }},
		{"copy without link", "body", tandem.ResourceCopy, func(r *tandem.Resource) { r.Body = "Try it: {lnk}" }},
		{"video without link", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "" }},
		{"video over http", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "http://www.youtube.com/watch?v=abc" }},
		{"video javascript", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "javascript:alert(1)" }},
		{"video no host", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "https:///path" }},
		{"video not a URL", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "https://exa mple.com/" }},
		{"video credentials", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "https://user:pw@example.com/" }},
		{"video too long", "url", tandem.ResourceVideo, func(r *tandem.Resource) { r.URL = "https://example.com/" + strings.Repeat("a", 2000) }},
		{"link on a persona", "url", tandem.ResourcePersona, func(r *tandem.Resource) { r.URL = "https://example.com" }},
		{"file without file", "file", tandem.ResourceFile, func(r *tandem.Resource) { r.FileID = "" }},
		{"brand without file", "file", tandem.ResourceBrand, func(r *tandem.Resource) { r.FileID = "" }},
		{"file on copy", "file", tandem.ResourceCopy, func(r *tandem.Resource) { r.FileID = "fil_z" }},
		{"negative position", "position", tandem.ResourcePersona, func(r *tandem.Resource) { r.Position = -1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := valid[tt.kind]
			if !tt.kind.Valid() {
				r = valid[tandem.ResourcePersona]
			}
			r.ProgramID, r.Kind, r.Title = "prg_x", tt.kind, "Title"
			if tt.change != nil {
				tt.change(&r)
			}
			err := r.Validate()
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
				t.Errorf("Validate = %v; want invalid %s", err, tt.field)
			}
		})
	}
}

func TestFillCopy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ body, link, want string }{
		{"Try it: {link}", "https://x.test/r/ab", "Try it: https://x.test/r/ab"},
		{"{link} and again {link}.", "L", "L and again L."},
		{"No placeholder", "L", "No placeholder"},
		{"{Link} {link", "L", "{Link} {link"},
		{"", "L", ""},
		{"Keep {link}", "", "Keep "},
	} {
		if got := tandem.FillCopy(tt.body, tt.link); got != tt.want {
			t.Errorf("FillCopy(%q, %q) = %q; want %q", tt.body, tt.link, got, tt.want)
		}
	}
}

func TestCheckUpload(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.7\n")
	for _, tt := range []struct {
		name    string
		data    []byte
		sniffed string
		ok      bool
	}{
		{"pdf", pdf, "application/pdf", true},
		{"png", []byte("\x89PNG"), "image/png", true},
		{"webp", []byte("RIFF"), "image/webp", true},
		{"svg", []byte("<svg/>"), "text/xml; charset=utf-8", false},
		{"html", []byte("<html>"), "text/html; charset=utf-8", false},
		{"empty", nil, "text/plain; charset=utf-8", false},
		{"just too large", make([]byte, tandem.MaxFileSize+1), "application/pdf", false},
		{"largest", make([]byte, tandem.MaxFileSize), "application/pdf", true},
	} {
		ct, err := tandem.CheckUpload(&tandem.Upload{Name: "x", ContentType: "application/pdf", Data: tt.data}, tt.sniffed)
		if tt.ok && (err != nil || ct != tt.sniffed) {
			t.Errorf("%s: CheckUpload = %q, %v; want %q", tt.name, ct, err, tt.sniffed)
		}
		if !tt.ok && (tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "file") {
			t.Errorf("%s: CheckUpload = %q, %v; want invalid file", tt.name, ct, err)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"Brand kit.pdf", "Brand kit.pdf"},
		{`C:\Users\me\logo.png`, "logo.png"},
		{"../../etc/passwd", "passwd"},
		{"a\"b\r\nc.pdf", "abc.pdf"},
		{"", "file"},
		{"..", "file"},
		{"/", "file"},
		{strings.Repeat("å", 200) + ".pdf", strings.Repeat("å", 127)},
	} {
		if got := tandem.CleanFileName(tt.in); got != tt.want {
			t.Errorf("CleanFileName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
