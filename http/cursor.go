package http

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandem-prm/tandem"
)

// The API pages every list with a cursor (keyset pagination). A cursor is
// the sort key of the last item of a page, "<n>:…:<id>" (one integer per
// sort column, then the ID that breaks ties), base64url-encoded without
// padding so that clients treat it as opaque. Decoded, it is what the
// domain filters' After fields take; sqldb turns it into
// WHERE (created_at, id) > ($n, $m). Pages stay correct while items are
// added, because the next page starts after a key, not at an offset.

// ListParams are the paging parameters of every list operation.
type ListParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"25" doc:"How many items to return, 1 to 100."`
	Cursor string `query:"cursor" doc:"The next_cursor of the previous page; leave it out for the first page." example:"MTcxODAwMDAwMDAwMDpwcmdfNGt6Mm4zcDVxNnI3czh0OXUydjN3NHg1eTY"`
}

// Page is one page of a list.
type Page[T any] struct {
	Data       []T     `json:"data" nullable:"false" doc:"The items of this page, in the list's order."`
	NextCursor *string `json:"next_cursor" doc:"Pass as cursor to get the next page; null on the last page."`
	HasMore    bool    `json:"has_more" doc:"Whether more items follow this page."`
}

// PageOutput is the response of a list operation.
type PageOutput[T any] struct {
	Body Page[T]
}

// listKey is a decoded cursor: the sort values of an item and its ID.
type listKey struct {
	nums []int64
	id   string
}

// String is the key in the form the domain filters' After fields take.
func (k listKey) String() string {
	var b strings.Builder
	for _, n := range k.nums {
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteByte(':')
	}
	b.WriteString(k.id)
	return b.String()
}

// less reports whether k sorts before o (same shape).
func (k listKey) less(o listKey) bool {
	for i := range k.nums {
		if k.nums[i] != o.nums[i] {
			return k.nums[i] < o.nums[i]
		}
	}
	return k.id < o.id
}

// createdKey is the sort key of lists in creation order.
func createdKey(createdAt time.Time, id string) listKey {
	return listKey{nums: []int64{createdAt.UnixMilli()}, id: id}
}

// encodeCursor returns the opaque cursor of a key.
func encodeCursor(k listKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.String()))
}

// decodeCursor reads a cursor of a list whose keys have nums integers and
// IDs with the prefix. "" is the first page: the zero key, whose String is
// "" too. Anything else that is not such a cursor is EINVALID on the field
// "cursor".
func decodeCursor(cursor string, nums int, prefix string) (listKey, error) {
	if cursor == "" {
		return listKey{}, nil
	}
	bad := tandem.Invalidf("cursor", "This cursor does not belong to this list; start again without one.")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !utf8.Valid(raw) {
		return listKey{}, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != nums+1 || !tandem.HasPrefix(parts[nums], prefix) {
		return listKey{}, bad
	}
	k := listKey{id: parts[nums]}
	for _, p := range parts[:nums] {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != p {
			return listKey{}, bad
		}
		k.nums = append(k.nums, n)
	}
	return k, nil
}

// pageOf makes a page of at most limit items out of items, which were asked
// for with limit+1 so that an extra item tells that more follow.
func pageOf[T, O any](items []T, limit int, key func(T) listKey, out func(T) O) *PageOutput[O] {
	p := &PageOutput[O]{}
	if len(items) > limit {
		items, p.Body.HasMore = items[:limit], true
	}
	p.Body.Data = make([]O, 0, len(items))
	for _, it := range items {
		p.Body.Data = append(p.Body.Data, out(it))
	}
	if p.Body.HasMore {
		c := encodeCursor(key(items[len(items)-1]))
		p.Body.NextCursor = &c
	}
	return p
}

// pageInMemory pages a whole list a service returns at once (a program's
// groups and questions are short), ordered by key: the items after the
// cursor, limit+1 of them, for pageOf.
func pageInMemory[T any](items []T, limit int, key func(T) listKey, from listKey) []T {
	var out []T
	for _, it := range items {
		if from.id != "" && !from.less(key(it)) {
			continue
		}
		if out = append(out, it); len(out) > limit {
			break
		}
	}
	return out
}
