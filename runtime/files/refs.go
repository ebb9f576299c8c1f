package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// beforeWrite returns the hook that checks the file references of a write
// of kind k (the engine's base hook, so REST, GraphQL, repositories and
// user hooks' own writes all pass it): every file object in the new data
// must name, by id, a file of the resource's current data or an upload
// record. Either way the stored object is the trusted one (a client
// cannot change a file's name, type, size or hash by editing the JSON),
// and a referenced upload's record is marked used, so that Collect keeps
// it for the grace period whatever raced with the write.
func (s *Store) beforeWrite(k *resource.Kind) func(context.Context, *resource.Write) (json.RawMessage, error) {
	return func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
		data := w.Data
		var current json.RawMessage
		if w.Current != nil {
			current = w.Current.Data
		}
		var invalid resource.ValidationErrors
		for i := range k.Files {
			ff := &k.Files[i]
			parts := strings.Split(ff.Path, ".")
			raw := getPath(data, parts)
			if isNull(raw) {
				continue
			}
			known := make(map[string]resource.File)
			for _, f := range FilesIn(getPath(current, parts)) {
				known[f.ID] = f
			}
			var out json.RawMessage
			if ff.List {
				var elems []json.RawMessage
				if err := json.Unmarshal(raw, &elems); err != nil {
					invalid.Add(ff.Path, "must be a list of file objects")
					continue
				}
				list := make([]resource.File, 0, len(elems))
				for j, e := range elems {
					f, err := s.resolve(ctx, ff, fmt.Sprintf("%s[%d]", ff.Path, j), e, known)
					if err != nil {
						if fe := fieldError(err); fe != nil {
							invalid = append(invalid, *fe)
							continue
						}
						return nil, err
					}
					list = append(list, f)
				}
				out, _ = json.Marshal(list)
			} else {
				f, err := s.resolve(ctx, ff, ff.Path, raw, known)
				if err != nil {
					if fe := fieldError(err); fe != nil {
						invalid = append(invalid, *fe)
						continue
					}
					return nil, err
				}
				out, _ = json.Marshal(f)
			}
			if !bytes.Equal(out, raw) {
				var err error
				if data, err = setPath(data, parts, out); err != nil {
					return nil, err
				}
			}
		}
		if err := invalid.Err(); err != nil {
			return nil, err
		}
		return data, nil
	}
}

// fieldError returns the field error of a 422 about one reference, nil
// for any other error.
func fieldError(err error) *resource.FieldError {
	var e *resource.Error
	if errors.As(err, &e) && e.Code == resource.CodeValidation && len(e.Fields) == 1 {
		return &e.Fields[0]
	}
	return nil
}

// resolve returns the trusted file object of the reference raw at field.
func (s *Store) resolve(ctx context.Context, ff *resource.FileField, field string, raw json.RawMessage, known map[string]resource.File) (resource.File, error) {
	var ref struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil || ref.ID == "" {
		return resource.File{}, resource.Invalid(field, `must be a file object with an "id"`)
	}
	if f, ok := known[ref.ID]; ok {
		return f, nil
	}
	if u, ok := uploaded(ctx, ref.ID); ok {
		// Checked against ff as it streamed; the write commits only
		// once its bytes are stored.
		return u.File, u.wait(ctx)
	}
	if err := s.settle(ctx, ref.ID); err != nil {
		return resource.File{}, err
	}
	rec, ok, err := s.getRecord(ctx, ref.ID)
	if err != nil {
		return resource.File{}, err
	}
	if !ok {
		return resource.File{}, resource.Invalid(field, fmt.Sprintf("names no uploaded file (id %q): upload the file with POST /api/files or as a part of a multipart write, and use the id it returns", ref.ID))
	}
	if ff.MaxSize > 0 && rec.File.Size > ff.MaxSize {
		return resource.File{}, tooLarge(field, ff.MaxSize)
	}
	if len(ff.Accept) > 0 && !Accepts(ff.Accept, rec.File.ContentType) {
		return resource.File{}, badType(field, rec.File.ContentType, ff.Accept)
	}
	rec.Used = s.opts.Now().UTC()
	if err := s.putRecord(ctx, rec); err != nil {
		return resource.File{}, err
	}
	return rec.File, nil
}

// FilesIn returns the file objects of a file or list-of-file value (none
// for null, a value that is not one, or a file object without an id).
func FilesIn(raw json.RawMessage) []resource.File {
	if isNull(raw) {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] == '[' {
		var list []resource.File
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		return list
	}
	var f resource.File
	if json.Unmarshal(raw, &f) != nil || f.ID == "" {
		return nil
	}
	return []resource.File{f}
}

// FilesAt returns the file objects at the dotted path of data (a JSON
// object): none, one, or the elements of a list of files.
func FilesAt(data json.RawMessage, path string) []resource.File {
	return FilesIn(getPath(data, strings.Split(path, ".")))
}

// isNull reports whether raw is absent or the JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// getPath returns the value at the path of nested object keys, or nil.
func getPath(data json.RawMessage, parts []string) json.RawMessage {
	for _, p := range parts {
		if isNull(data) || bytes.TrimSpace(data)[0] != '{' {
			return nil
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return nil
		}
		data = m[p]
	}
	return data
}

// member is one member of a JSON object.
type member struct {
	key string
	val json.RawMessage
}

// members returns the members of the object raw in their order; null or
// nothing is the empty object.
func members(raw json.RawMessage) ([]member, error) {
	if isNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("files: not a JSON object")
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, val: v})
	}
	return out, nil
}

// setPath returns data with the value at the path of nested object keys
// set to v, creating objects on the way; members keep their order, so
// canonical data stays canonical.
func setPath(data json.RawMessage, parts []string, v json.RawMessage) (json.RawMessage, error) {
	ms, err := members(data)
	if err != nil {
		return nil, err
	}
	i := 0
	for i < len(ms) && ms[i].key != parts[0] {
		i++
	}
	if i == len(ms) {
		ms = append(ms, member{key: parts[0]})
	}
	if len(parts) == 1 {
		ms[i].val = v
	} else if ms[i].val, err = setPath(ms[i].val, parts[1:], v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for j, m := range ms {
		if j > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(m.key)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(m.val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
