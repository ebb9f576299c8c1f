package files

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Pending is a file a request carries beside its JSON (a part of a
// GraphQL multipart request), named in the JSON by a token until it is
// stored.
type Pending struct {
	// Body is the file's bytes; SavePending reads it from the start,
	// once per place the token appears.
	Body io.ReadSeeker
	// Name is the client's file name (sanitised when stored).
	Name string
}

// SavePending stores the pending files that the file fields of kind k
// name in data (a write's data, or a merge patch of it) and returns data
// with their file objects in place. A file value names a pending file by
// its token as {"id": token} or {"upload": token}; lookup returns the file
// of a token, false for any other string (a real file id, left to the
// reference check of the write). Each file is checked against its field's
// max_size and accept as it streams, exactly as a REST multipart part is
// (413, 415; field names such as "attachments[1]"), and a file value with
// both an id and an upload is a 422. The uploads are returned also on
// error, for Discard; pass them to WithUploads for the write.
func (s *Store) SavePending(ctx context.Context, k *resource.Kind, data json.RawMessage, lookup func(token string) (Pending, bool)) (json.RawMessage, []*Upload, error) {
	var uploads []*Upload
	var invalid resource.ValidationErrors
	for i := range k.Files {
		ff := &k.Files[i]
		parts := strings.Split(ff.Path, ".")
		raw := getPath(data, parts)
		if isNull(raw) {
			continue
		}
		elems := []json.RawMessage{raw}
		if ff.List {
			if err := json.Unmarshal(raw, &elems); err != nil {
				continue // not a list: the write's validation says so
			}
		}
		changed := false
		for j, e := range elems {
			field := ff.Path
			if ff.List {
				field = fmt.Sprintf("%s[%d]", ff.Path, j)
			}
			p, ok, err := pendingIn(e, lookup)
			if err != nil {
				invalid.Add(field, err.Error())
				continue
			}
			if !ok {
				continue
			}
			if _, err := p.Body.Seek(0, io.SeekStart); err != nil {
				return nil, uploads, err
			}
			u, err := s.save(ctx, p.Body, p.Name, field, ff, false)
			if err != nil {
				return nil, uploads, err
			}
			uploads = append(uploads, u)
			elems[j], _ = json.Marshal(u.File)
			changed = true
		}
		if !changed {
			continue
		}
		out := elems[0]
		if ff.List {
			out, _ = json.Marshal(elems)
		}
		var err error
		if data, err = setPath(data, parts, out); err != nil {
			return nil, uploads, resource.Errorf(resource.CodeBadRequest, "the data must be a JSON object: %v", err)
		}
	}
	if err := invalid.Err(); err != nil {
		return nil, uploads, err
	}
	return data, uploads, nil
}

// pendingIn returns the pending file a file value names, if any.
func pendingIn(raw json.RawMessage, lookup func(string) (Pending, bool)) (Pending, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Pending{}, false, nil
	}
	var ref struct {
		ID     *string         `json:"id"`
		Upload json.RawMessage `json:"upload"`
	}
	if json.Unmarshal(raw, &ref) != nil {
		return Pending{}, false, nil
	}
	if isNull(ref.Upload) {
		if ref.ID == nil {
			return Pending{}, false, nil
		}
		p, ok := lookup(*ref.ID)
		return p, ok, nil
	}
	if ref.ID != nil && *ref.ID != "" {
		return Pending{}, false, fmt.Errorf("gives both an id and an upload: give one")
	}
	var token string
	if json.Unmarshal(ref.Upload, &token) == nil {
		if p, ok := lookup(token); ok {
			return p, true, nil
		}
	}
	return Pending{}, false, fmt.Errorf("upload must be a file of the multipart request (GraphQL multipart request spec)")
}

// WithUploads returns ctx carrying uploads made for one write (by
// SavePending), which the write may then reference without an upload
// record, as a REST multipart write does.
func WithUploads(ctx context.Context, uploads []*Upload) context.Context {
	return withUploads(ctx, uploads)
}
