package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// Resource is one item of a program's resource library, without its file's bytes.
type Resource struct {
	ID         string              `json:"id" example:"res_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID  string              `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	GroupID    *string             `json:"group_id" doc:"The only partner group that sees it; null for everyone in the program." example:"grp_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Kind       tandem.ResourceKind `json:"kind" enum:"persona,value_prop,competitor,copy,video,file,brand" doc:"persona, value_prop and competitor are Markdown; copy is text with {link} for the partner's link; video is a link; file and brand are a stored file."`
	Title      string              `json:"title" example:"Who buys from us"`
	Body       string              `json:"body" doc:"Markdown, or the text of copy; may be empty for a video or a file."`
	URL        string              `json:"url" doc:"A video's https link; empty otherwise." example:"https://vimeo.com/123456"`
	File       *ResourceFile       `json:"file,omitempty" doc:"The stored file of a file or brand resource."`
	Required   bool                `json:"required" doc:"Whether it counts toward a partner's onboarding."`
	Position   int                 `json:"position" doc:"The resource's place in the library."`
	CreatedAt  time.Time           `json:"created_at" doc:"RFC 3339, UTC."`
	UpdatedAt  time.Time           `json:"updated_at" doc:"RFC 3339, UTC."`
	ArchivedAt *time.Time          `json:"archived_at" doc:"When it was hidden from partners; null while it is live (RFC 3339, UTC)."`
}

// ResourceFile describes a resource's stored file.
type ResourceFile struct {
	ID          string `json:"id" example:"fil_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Name        string `json:"name" example:"deck.pdf"`
	ContentType string `json:"content_type" doc:"As sniffed from the bytes: application/pdf, image/png, image/jpeg, image/gif or image/webp." example:"application/pdf"`
	Size        int64  `json:"size" doc:"In bytes." example:"48213"`
}

func apiResource(r *tandem.Resource) Resource {
	out := Resource{ID: r.ID, ProgramID: r.ProgramID, GroupID: apiOptional(r.GroupID), Kind: r.Kind, Title: r.Title, Body: r.Body,
		URL: r.URL, Required: r.Required, Position: r.Position, CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt),
		ArchivedAt: apiOptionalTime(r.ArchivedAt)}
	if r.FileID != "" {
		out.File = &ResourceFile{ID: r.FileID, Name: r.FileName, ContentType: r.FileType, Size: r.FileSize}
	}
	return out
}

// resourceKey is the library's order: position, then creation, then ID.
func resourceKey(r *tandem.Resource) listKey {
	return listKey{nums: []int64{int64(r.Position), r.CreatedAt.UnixMilli()}, id: r.ID}
}

// ResourceOutput is one resource.
type ResourceOutput struct {
	Body Resource
}

type resourceIDInput struct {
	ID string `path:"id" doc:"The resource's ID." example:"res_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type listResourcesInput struct {
	ID string `path:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ListParams
	GroupID         string `query:"group_id" doc:"Only the resources limited to this partner group." example:"grp_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	IncludeArchived bool   `query:"include_archived" doc:"Add archived resources, which are left out otherwise."`
}

func (s *Server) apiResourceRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-program-resources", Method: http.MethodGet, Path: "/programs/{id}/resources", Tags: []string{"Resources"},
		Summary: "List a program's resources", Description: "The program's library in its order (position, then creation).",
	}, s.apiListResources)
	huma.Register(api, huma.Operation{
		OperationID: "get-resource", Method: http.MethodGet, Path: "/resources/{id}", Tags: []string{"Resources"},
		Summary: "Get a resource", Description: "The resource and its file's metadata, archived or not; not the file's bytes.",
	}, s.apiGetResource)
}

func (s *Server) apiListResources(ctx context.Context, in *listResourcesInput) (*PageOutput[Resource], error) {
	from, err := decodeCursor(in.Cursor, 2, tandem.PrefixResource)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if _, err := s.services.Programs.FindProgramByID(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	rs, err := s.services.Resources.FindResources(ctx, tandem.ResourceFilter{ProgramID: in.ID, GroupID: in.GroupID,
		IncludeArchived: in.IncludeArchived, After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(rs, in.Limit, resourceKey, apiResource), nil
}

func (s *Server) apiGetResource(ctx context.Context, in *resourceIDInput) (*ResourceOutput, error) {
	r, err := s.services.Resources.FindResourceByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ResourceOutput{Body: apiResource(r)}, nil
}
