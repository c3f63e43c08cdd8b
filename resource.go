package tandem

import (
	"context"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ResourceKind is what a resource in a program's library teaches a partner.
type ResourceKind string

// Resource kinds, as PRODUCT.md's onboarding and training section names them.
const (
	ResourcePersona    ResourceKind = "persona"    // ideal customer profile / buyer persona (Markdown)
	ResourceValueProp  ResourceKind = "value_prop" // value propositions and selling points (Markdown)
	ResourceCompetitor ResourceKind = "competitor" // how the product differs from competitors (Markdown)
	ResourceFile       ResourceKind = "file"       // a PDF or an image
	ResourceVideo      ResourceKind = "video"      // a link to a video explainer
	ResourceCopy       ResourceKind = "copy"       // ready-to-share text with a {link} placeholder
	ResourceBrand      ResourceKind = "brand"      // a brand asset: a file
)

// ResourceKinds lists every kind, in the order the library shows them.
var ResourceKinds = []ResourceKind{
	ResourcePersona, ResourceValueProp, ResourceCompetitor, ResourceCopy, ResourceVideo, ResourceFile, ResourceBrand,
}

// Valid reports whether k is one of ResourceKinds.
func (k ResourceKind) Valid() bool { return slices.Contains(ResourceKinds, k) }

// Label is the kind's name for people.
func (k ResourceKind) Label() string {
	switch k {
	case ResourcePersona:
		return "Buyer persona"
	case ResourceValueProp:
		return "Value proposition"
	case ResourceCompetitor:
		return "Competitor comparison"
	case ResourceFile:
		return "Document or image"
	case ResourceVideo:
		return "Video"
	case ResourceCopy:
		return "Ready-to-share copy"
	case ResourceBrand:
		return "Brand asset"
	}
	return string(k)
}

// TakesFile reports whether resources of the kind are an uploaded file.
func (k ResourceKind) TakesFile() bool { return k == ResourceFile || k == ResourceBrand }

// TakesURL reports whether resources of the kind are a link.
func (k ResourceKind) TakesURL() bool { return k == ResourceVideo }

// NeedsBody reports whether resources of the kind are mainly their text.
func (k ResourceKind) NeedsBody() bool {
	return k == ResourcePersona || k == ResourceValueProp || k == ResourceCompetitor || k == ResourceCopy
}

// PersonaTemplate is the starting text of a new buyer persona: the headings
// a partner needs to recognise a good prospect.
const PersonaTemplate = `## Demographics

Who they are: role, seniority, industry, location, age range.

## Needs and pain points

What they struggle with today, and what it costs them.

## Values

What they care about when they choose a product like ours.

## Objections

What makes them hesitate, and how to answer it.

## Ideal company profile

For B2B: company size, industry, tools they already use, budget, who decides.
`

// CopyLinkPlaceholder marks where ready-to-share copy gets the partner's link.
const CopyLinkPlaceholder = "{link}"

// FillCopy returns ready-to-share copy with every {link} replaced by link.
func FillCopy(body, link string) string {
	return strings.ReplaceAll(body, CopyLinkPlaceholder, link)
}

// Limits of a resource.
const (
	MaxResourceTitle = 200
	MaxResourceBody  = 50_000
	MaxResourceURL   = 2000
	MaxFileSize      = 10 << 20 // 10 MiB
	MaxFileName      = 255
)

// AllowedFileTypes are the content types a stored file may have, as sniffed
// from its bytes (never as the uploader claims). SVG is not among them: it
// can carry script.
var AllowedFileTypes = []string{"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}

// IsImageType reports whether a stored file's content type is an image.
func IsImageType(contentType string) bool { return strings.HasPrefix(contentType, "image/") }

// Resource is one item of a program's library: what partners study to sell
// well. A resource is archived, never deleted.
type Resource struct {
	ID        string `json:"id"`
	ProgramID string `json:"program_id"`
	// GroupID limits the resource to one partner group; "" is everyone in the program.
	GroupID string       `json:"group_id,omitempty"`
	Kind    ResourceKind `json:"kind"`
	Title   string       `json:"title"`
	// Body is Markdown (plain text with {link} for copy).
	Body string `json:"body,omitempty"`
	// URL is a video's https link.
	URL string `json:"url,omitempty"`
	// The stored file of a file or brand resource.
	FileID   string `json:"file_id,omitempty"`
	FileName string `json:"file_name,omitempty"`
	FileType string `json:"file_type,omitempty"`
	FileSize int64  `json:"file_size,omitempty"`
	// Required resources count toward a partner's onboarding.
	Required   bool      `json:"required"`
	Position   int       `json:"position"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ArchivedAt time.Time `json:"archived_at,omitzero"`
}

// Archived reports whether the resource is archived.
func (r *Resource) Archived() bool { return !r.ArchivedAt.IsZero() }

// Validate checks a resource's fields and normalises them (trimmed text,
// line endings in the body). FileID must be set for a kind that takes a
// file: the service sets it from the upload before validating.
func (r *Resource) Validate() error {
	if r.ProgramID == "" {
		return Invalidf("program_id", "Program is required.")
	}
	if err := RequireText("title", "Title", &r.Title, MaxResourceTitle); err != nil {
		return err
	}
	if !r.Kind.Valid() {
		names := make([]string, len(ResourceKinds))
		for i, k := range ResourceKinds {
			names[i] = string(k)
		}
		return Invalidf("kind", "Kind must be one of %s.", strings.Join(names, ", "))
	}
	r.GroupID = strings.TrimSpace(r.GroupID)
	r.Body = strings.TrimSpace(strings.ReplaceAll(r.Body, "\r\n", "\n"))
	if utf8.RuneCountInString(r.Body) > MaxResourceBody {
		return Invalidf("body", "Text must be at most %d characters.", MaxResourceBody)
	}
	if r.Kind.NeedsBody() && r.Body == "" {
		return Invalidf("body", "Text is required for a %s.", strings.ToLower(r.Kind.Label()))
	}
	if r.Kind == ResourceCopy && !strings.Contains(r.Body, CopyLinkPlaceholder) {
		return Invalidf("body", "Ready-to-share copy must contain %s where the partner's link goes.", CopyLinkPlaceholder)
	}
	r.URL = strings.TrimSpace(r.URL)
	switch {
	case r.Kind.TakesURL() && r.URL == "":
		return Invalidf("url", "A video needs its link, such as https://www.youtube.com/watch?v=….")
	case r.Kind.TakesURL() && !isHTTPSURL(r.URL):
		return Invalidf("url", "The link must be a valid https address, such as https://vimeo.com/123456.")
	case !r.Kind.TakesURL() && r.URL != "":
		return Invalidf("url", "Only a video takes a link; put other links in the text.")
	}
	switch {
	case r.Kind.TakesFile() && r.FileID == "":
		return Invalidf("file", "Choose a PDF or an image (PNG, JPEG, GIF or WebP) to upload.")
	case !r.Kind.TakesFile() && r.FileID != "":
		return Invalidf("file", "Only a document, image or brand asset takes a file.")
	}
	if r.Position < 0 {
		return Invalidf("position", "Position must not be negative.")
	}
	return nil
}

// isHTTPSURL reports whether s is an absolute https URL with a host and no
// credentials, of sane length.
func isHTTPSURL(s string) bool {
	if len(s) > MaxResourceURL || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.Hostname() != "" && u.User == nil && u.Opaque == ""
}

// Upload is a file as it arrives from a form or the API.
type Upload struct {
	Name        string // the file name on the uploader's computer
	ContentType string // what the uploader claims; the stored type is sniffed
	Data        []byte
}

// CleanFileName returns the base name of an uploaded file, without any
// directories, control characters or quotes, at most MaxFileName bytes,
// and "file" if nothing is left.
func CleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(strings.TrimSpace(name))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > MaxFileName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == "/" || name == ".." {
		return "file"
	}
	return name
}

// CheckUpload checks an upload against the file rules, given the content
// type sniffed from its bytes (net/http.DetectContentType), and returns the
// type to store. Anything refused is EINVALID on the field "file".
func CheckUpload(u *Upload, sniffed string) (string, error) {
	switch {
	case len(u.Data) == 0:
		return "", Invalidf("file", "The file is empty.")
	case len(u.Data) > MaxFileSize:
		return "", Invalidf("file", "The file must be at most 10 MB.")
	case !slices.Contains(AllowedFileTypes, sniffed):
		return "", Invalidf("file", "Only PDF, PNG, JPEG, GIF and WebP files can be uploaded.")
	}
	return sniffed, nil
}

// StoredFile is an uploaded file as Tandem keeps it, bytes included.
type StoredFile struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	Data        []byte
	CreatedAt   time.Time
}

// ResourceFilter selects resources. Zero fields match everything.
type ResourceFilter struct {
	ID        string
	ProgramID string
	// GroupID selects the resources limited to that group.
	GroupID string
	// PartnerID selects only what that partner may see: resources of programs
	// where it is an approved member, for everyone or for its group.
	PartnerID string
	// FileID selects the resource that owns a stored file.
	FileID string
	// IncludeArchived adds archived resources, which are left out otherwise.
	IncludeArchived bool
	// After, the sort key of the last item of the previous page, asks for the
	// items that follow it in the list's order (keyset pagination). It is the
	// API's cursor decoded: "<position>:<created_at Unix ms>:<id>". A
	// malformed key is EINVALID on the field "cursor".
	After string
	Limit int
}

// ResourceService stores programs' resource libraries, their files and which
// resources each partner has read.
type ResourceService interface {
	// CreateResource validates r, stores the upload (for a file or brand
	// resource) and r, and audits it. A refused file stores nothing.
	CreateResource(ctx context.Context, r *Resource, file *Upload) error
	// UpdateResource stores r's new title, kind, group, body, link, required
	// flag and position (0 keeps it); a non-nil file replaces the stored one.
	UpdateResource(ctx context.Context, r *Resource, file *Upload) error
	// ArchiveResource hides a resource from partners; archiving twice is a no-op.
	ArchiveResource(ctx context.Context, id string) error
	// FindResources returns the matching resources by position.
	FindResources(ctx context.Context, filter ResourceFilter) ([]*Resource, error)
	// FindResourceByID returns ENOTFOUND if no resource has the ID.
	FindResourceByID(ctx context.Context, id string) (*Resource, error)
	// OpenFile returns a stored file with its bytes, or ENOTFOUND. It does not
	// check who may see it: callers check that first.
	OpenFile(ctx context.Context, fileID string) (*StoredFile, error)
	// MarkResourceRead records that the partner read a resource it may see
	// (ENOTFOUND otherwise); marking it again keeps the first time.
	MarkResourceRead(ctx context.Context, partnerID, resourceID string) error
	// ReadResources returns when the partner read each resource of the program.
	ReadResources(ctx context.Context, partnerID, programID string) (map[string]time.Time, error)
}
