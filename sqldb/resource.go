package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/tandem-prm/tandem"
)

// ResourceService stores programs' resource libraries, their files (bytes
// in the database) and which resources each partner has read.
type ResourceService struct{ db *DB }

var _ tandem.ResourceService = (*ResourceService)(nil)

// NewResourceService returns the resource libraries of db.
func NewResourceService(db *DB) *ResourceService { return &ResourceService{db: db} }

// newStoredFile checks an upload (size, and the type sniffed from its bytes)
// and returns the file to store. It runs before any transaction, so a
// refused file stores nothing.
func newStoredFile(u *tandem.Upload) (*tandem.StoredFile, error) {
	ct, err := tandem.CheckUpload(u, http.DetectContentType(u.Data))
	if err != nil {
		return nil, err
	}
	return &tandem.StoredFile{ID: tandem.NewID(tandem.PrefixFile), Name: tandem.CleanFileName(u.Name),
		ContentType: ct, Size: int64(len(u.Data)), Data: u.Data}, nil
}

// setFile points r at a stored file, or at none.
func setFile(r *tandem.Resource, f *tandem.StoredFile) {
	if f == nil {
		r.FileID, r.FileName, r.FileType, r.FileSize = "", "", "", 0
		return
	}
	r.FileID, r.FileName, r.FileType, r.FileSize = f.ID, f.Name, f.ContentType, f.Size
}

// CreateResource validates r, stores its file (if any) and r, and audits it.
func (s *ResourceService) CreateResource(ctx context.Context, r *tandem.Resource, file *tandem.Upload) error {
	var f *tandem.StoredFile
	if file != nil {
		var err error
		if f, err = newStoredFile(file); err != nil {
			return err
		}
	}
	position := r.Position
	setFile(r, f)
	if err := r.Validate(); err != nil {
		setFile(r, nil)
		return err
	}
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := findProgramByID(ctx, tx, r.ProgramID); err != nil {
			return err
		}
		if err := checkResourceGroup(ctx, tx, r.ProgramID, r.GroupID); err != nil {
			return err
		}
		if f != nil {
			if err := tx.insertFile(ctx, f); err != nil {
				return err
			}
		}
		if r.Position == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM resources WHERE program_id = $1`,
				r.ProgramID).Scan(&r.Position); err != nil {
				return fmt.Errorf("next resource position: %w", err)
			}
		}
		r.ID = tandem.NewID(tandem.PrefixResource)
		r.CreatedAt, r.UpdatedAt, r.ArchivedAt = tx.now, tx.now, time.Time{}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO resources (id, program_id, group_id, kind, title, body, url, file_id, required, position, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.ID, r.ProgramID, refOrNull(r.GroupID), r.Kind, r.Title, r.Body, r.URL, refOrNull(r.FileID),
			r.Required, r.Position, ms(r.CreatedAt), ms(r.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert resource: %w", err)
		}
		return tx.audit(ctx, "resource.create", r.ID, resourceAudit(r))
	})
	if err != nil {
		// Nothing was stored: r must not look as if it had been.
		r.ID, r.Position, r.CreatedAt, r.UpdatedAt = "", position, time.Time{}, time.Time{}
		setFile(r, nil)
	}
	return err
}

// UpdateResource stores a resource's new content; a non-nil file replaces
// its stored file, whose old bytes are deleted once nothing refers to them.
func (s *ResourceService) UpdateResource(ctx context.Context, r *tandem.Resource, file *tandem.Upload) error {
	var f *tandem.StoredFile
	if file != nil {
		var err error
		if f, err = newStoredFile(file); err != nil {
			return err
		}
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		old, err := findResourceByID(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		r.ProgramID, r.CreatedAt, r.ArchivedAt = old.ProgramID, old.CreatedAt, old.ArchivedAt
		if r.Position == 0 {
			r.Position = old.Position
		}
		switch {
		case f != nil:
			setFile(r, f)
		case r.Kind.TakesFile() && old.FileID != "":
			r.FileID, r.FileName, r.FileType, r.FileSize = old.FileID, old.FileName, old.FileType, old.FileSize
		default:
			setFile(r, nil)
		}
		if err := r.Validate(); err != nil {
			return err
		}
		if err := checkResourceGroup(ctx, tx, r.ProgramID, r.GroupID); err != nil {
			return err
		}
		if f != nil {
			if err := tx.insertFile(ctx, f); err != nil {
				return err
			}
		}
		r.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `
			UPDATE resources SET group_id = $1, kind = $2, title = $3, body = $4, url = $5, file_id = $6,
				required = $7, position = $8, updated_at = $9
			WHERE id = $10`,
			refOrNull(r.GroupID), r.Kind, r.Title, r.Body, r.URL, refOrNull(r.FileID),
			r.Required, r.Position, ms(r.UpdatedAt), r.ID); err != nil {
			return fmt.Errorf("update resource: %w", err)
		}
		if old.FileID != "" && old.FileID != r.FileID {
			if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM resources WHERE file_id = $1)`,
				old.FileID); err != nil {
				return fmt.Errorf("delete replaced file: %w", err)
			}
		}
		return tx.audit(ctx, "resource.update", r.ID, map[string]any{"changed": resourceChanges(old, r), "resource": resourceAudit(r)})
	})
}

// ArchiveResource hides a resource from partners; its file stays for the record.
func (s *ResourceService) ArchiveResource(ctx context.Context, id string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := findResourceByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if res.Archived() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE resources SET archived_at = $1, updated_at = $1 WHERE id = $2 AND archived_at IS NULL`,
			ms(tx.now), id); err != nil {
			return fmt.Errorf("archive resource: %w", err)
		}
		return tx.audit(ctx, "resource.archive", id, map[string]string{"program_id": res.ProgramID, "title": res.Title})
	})
}

// FindResources returns the matching resources by position.
func (s *ResourceService) FindResources(ctx context.Context, filter tandem.ResourceFilter) ([]*tandem.Resource, error) {
	var out []*tandem.Resource
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = findResources(ctx, tx, filter)
		return err
	})
	return out, err
}

// FindResourceByID returns the resource with the ID, archived or not, or ENOTFOUND.
func (s *ResourceService) FindResourceByID(ctx context.Context, id string) (*tandem.Resource, error) {
	var r *tandem.Resource
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		r, err = findResourceByID(ctx, tx, id)
		return err
	})
	return r, err
}

// OpenFile returns a stored file with its bytes, or ENOTFOUND.
func (s *ResourceService) OpenFile(ctx context.Context, fileID string) (*tandem.StoredFile, error) {
	var f tandem.StoredFile
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, name, content_type, size, data, created_at FROM files WHERE id = $1`, fileID).
			Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.Data, timeCol(&f.CreatedAt))
		if isNoRows(err) {
			return tandem.Errorf(tandem.ENOTFOUND, "File not found.")
		} else if err != nil {
			return fmt.Errorf("open file: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// MarkResourceRead records the first time the partner read a resource it may see.
func (s *ResourceService) MarkResourceRead(ctx context.Context, partnerID, resourceID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if partnerID == "" || resourceID == "" {
			return tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
		}
		visible, err := findResources(ctx, tx, tandem.ResourceFilter{ID: resourceID, PartnerID: partnerID, Limit: 1})
		if err != nil {
			return err
		}
		if len(visible) == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO resource_reads (partner_id, resource_id, read_at) VALUES ($1, $2, $3)
			ON CONFLICT (partner_id, resource_id) DO NOTHING`, partnerID, resourceID, ms(tx.now))
		if err != nil {
			return fmt.Errorf("mark resource read: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // read before: the first time stands
		}
		return tx.audit(ctx, "resource.read", resourceID, map[string]string{"partner_id": partnerID})
	})
}

// ReadResources returns when the partner read each resource of the program.
func (s *ResourceService) ReadResources(ctx context.Context, partnerID, programID string) (map[string]time.Time, error) {
	var out map[string]time.Time
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = queryTimes(ctx, tx, `
			SELECT rr.resource_id, rr.read_at FROM resource_reads rr JOIN resources r ON r.id = rr.resource_id
			WHERE rr.partner_id = $1 AND r.program_id = $2`, partnerID, programID)
		return err
	})
	return out, err
}

// checkResourceGroup checks that a resource's group, if any, is one of its program's.
func checkResourceGroup(ctx context.Context, tx *Tx, programID, groupID string) error {
	if groupID == "" {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partner_groups WHERE id = $1 AND program_id = $2`,
		groupID, programID).Scan(&n); err != nil {
		return fmt.Errorf("check group: %w", err)
	}
	if n == 0 {
		return tandem.Invalidf("group_id", "Choose one of this program's partner groups, or everyone.")
	}
	return nil
}

func (tx *Tx) insertFile(ctx context.Context, f *tandem.StoredFile) error {
	sum := sha256.Sum256(f.Data)
	f.CreatedAt = tx.now
	_, err := tx.ExecContext(ctx, `
		INSERT INTO files (id, name, content_type, size, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		f.ID, f.Name, f.ContentType, f.Size, hex.EncodeToString(sum[:]), f.Data, ms(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert file: %w", err)
	}
	return nil
}

func findResourceByID(ctx context.Context, tx *Tx, id string) (*tandem.Resource, error) {
	rs, err := findResources(ctx, tx, tandem.ResourceFilter{ID: id, IncludeArchived: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Resource not found.")
	}
	return rs[0], nil
}

func findResources(ctx context.Context, tx *Tx, filter tandem.ResourceFilter) ([]*tandem.Resource, error) {
	var w where
	w.eq("r.id", filter.ID)
	w.eq("r.program_id", filter.ProgramID)
	w.eq("r.group_id", filter.GroupID)
	w.eq("r.file_id", filter.FileID)
	if filter.PartnerID != "" {
		// What a partner may see: its programs (approved), for everyone or its group.
		w.args = append(w.args, filter.PartnerID)
		w.conds = append(w.conds, fmt.Sprintf(`EXISTS (SELECT 1 FROM memberships m
			WHERE m.program_id = r.program_id AND m.partner_id = $%d AND m.status = 'approved'
			AND (r.group_id IS NULL OR r.group_id = m.group_id))`, len(w.args)))
	}
	if !filter.IncludeArchived {
		w.conds = append(w.conds, "r.archived_at IS NULL")
	}
	if err := w.after(filter.After, "r.position", "r.created_at", "r.id"); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT r.id, r.program_id, COALESCE(r.group_id, ''), r.kind, r.title, r.body, r.url, COALESCE(r.file_id, ''),
			COALESCE(f.name, ''), COALESCE(f.content_type, ''), COALESCE(f.size, 0),
			r.required, r.position, r.created_at, r.updated_at, r.archived_at
		FROM resources r LEFT JOIN files f ON f.id = r.file_id `+w.String()+`
		ORDER BY r.position, r.created_at, r.id LIMIT `+fmt.Sprint(limit(filter.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find resources: %w", err)
	}
	defer rows.Close()
	var out []*tandem.Resource
	for rows.Next() {
		var r tandem.Resource
		if err := rows.Scan(&r.ID, &r.ProgramID, &r.GroupID, &r.Kind, &r.Title, &r.Body, &r.URL, &r.FileID,
			&r.FileName, &r.FileType, &r.FileSize, &r.Required, &r.Position,
			timeCol(&r.CreatedAt), timeCol(&r.UpdatedAt), timeCol(&r.ArchivedAt)); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// refOrNull is an optional reference as SQL wants it: NULL when absent.
func refOrNull(id string) sql.NullString { return sql.NullString{String: id, Valid: id != ""} }

// resourceAudit is what the audit log keeps of a resource: everything but
// the body, which it measures.
func resourceAudit(r *tandem.Resource) map[string]any {
	return map[string]any{
		"program_id": r.ProgramID, "group_id": r.GroupID, "kind": r.Kind, "title": r.Title, "body_chars": len([]rune(r.Body)),
		"url": r.URL, "file_id": r.FileID, "file_name": r.FileName, "file_type": r.FileType, "file_size": r.FileSize,
		"required": r.Required, "position": r.Position,
	}
}

// resourceChanges names the fields an update changed.
func resourceChanges(old, r *tandem.Resource) []string {
	var changed []string
	for _, c := range []struct {
		name string
		diff bool
	}{
		{"group_id", old.GroupID != r.GroupID}, {"kind", old.Kind != r.Kind}, {"title", old.Title != r.Title},
		{"body", old.Body != r.Body}, {"url", old.URL != r.URL}, {"file", old.FileID != r.FileID},
		{"required", old.Required != r.Required}, {"position", old.Position != r.Position},
	} {
		if c.diff {
			changed = append(changed, c.name)
		}
	}
	return changed
}
