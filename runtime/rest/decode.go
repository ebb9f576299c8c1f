package rest

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/validate"
)

// DecodeJSON reads the request body and decodes it into v with Decode.
// The Content-Type must be application/json (a charset parameter, if
// any, must be utf-8), else 415 UNSUPPORTED_MEDIA_TYPE. A body over the
// limit set by the body limit middleware or http.MaxBytesReader is a 413
// PAYLOAD_TOO_LARGE.
func DecodeJSON(c echo.Context, v any, required ...string) error {
	if _, err := requireContentType(c, echo.MIMEApplicationJSON); err != nil {
		return err
	}
	data, err := readBody(c)
	if err != nil {
		return err
	}
	return Decode(data, v, required...)
}

// Decode strictly decodes the JSON object in data into v, a pointer.
// Client mistakes are *resource.Error values:
//
//   - an empty body, malformed JSON (with its byte offset), data after the
//     object, or a body that is not an object: 400 BAD_REQUEST;
//   - a string or key whose text is not Unicode (bytes that are not UTF-8,
//     overlong encodings, a lone surrogate escape such as \ud800), which
//     encoding/json would silently replace with U+FFFD: 400 BAD_REQUEST,
//     listing every such field;
//   - a top-level "resource_id" key, keys that v has no field for (at any
//     depth), values of the wrong JSON type, a string or key holding
//     U+0000 (\u0000, which not every backend can store), and required
//     paths that are missing or null: 422 VALIDATION_ERROR, listing every
//     such field.
//
// Field names in errors are dotted JSON paths with array indexes, such as
// "author.name" or "tags[2]". required lists dotted paths (no indexes);
// a path is checked only where its parent exists and is not null, and a
// path through an array is checked in every element. Keys are matched
// case-sensitively. Numbers decoded into interface values are
// json.Number, so large integers survive. After a 422, v holds the
// values that fit it (the others are zero), so that the caller can check
// them too and answer with every mistake at once (see Invalid).
func Decode(data []byte, v any, required ...string) error {
	if decodeValid(data, v, required) {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero() // undo what the fast path decoded
	}
	return decodeChecked(data, v, required)
}

// decodeChecked is Decode's slow path: it parses data into a generic
// tree, reports every mistake it finds there at once, and only then
// decodes data into v.
func decodeChecked(data []byte, v any, required []string) error {
	tree, err := parseBody(data)
	if err != nil {
		return err
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return resource.Errorf(resource.CodeBadRequest, "the request body must be a JSON object, not %s", jsonType(tree))
	}
	var errs resource.ValidationErrors
	if _, ok := obj["resource_id"]; ok {
		errs.Add("resource_id", "is assigned by the server and must not be sent")
		delete(obj, "resource_id")
	}
	checkValue(&errs, "", obj, reflect.TypeOf(v))
	if validate.TextFault(data) != validate.FaultNone {
		// parseBody refused malformed text: what is left is U+0000.
		for _, p := range validate.TextProblems(data) {
			errs.Add(p.Path, p.Message())
		}
	}
	for _, path := range required {
		checkRequired(&errs, "", obj, strings.Split(path, "."))
	}
	if err := errs.Err(); err != nil {
		// Leave in v what fits, so that the caller can check the rest
		// of the body too and name every mistake at once (Invalid).
		for _, f := range errs {
			dropPath(obj, f.Field)
		}
		if rest, merr := json.Marshal(obj); merr == nil {
			_ = json.Unmarshal(rest, v)
		}
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// requireContentType checks the request media type against accepted and
// returns the matching one.
func requireContentType(c echo.Context, accepted ...string) (string, error) {
	want := strings.Join(accepted, " or ")
	header := c.Request().Header.Get(echo.HeaderContentType)
	if header == "" {
		return "", resource.Errorf(resource.CodeUnsupportedMedia, "the Content-Type header is missing; send %s", want)
	}
	media, params, err := mime.ParseMediaType(header)
	if err != nil || !slices.Contains(accepted, media) {
		return "", resource.Errorf(resource.CodeUnsupportedMedia, "Content-Type %q is not supported; send %s", header, want)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "", resource.Errorf(resource.CodeUnsupportedMedia, "charset %q is not supported; send UTF-8", cs)
	}
	return media, nil
}

// readBody reads the whole request body, turning the errors of body
// limits into 413s.
func readBody(c echo.Context) ([]byte, error) {
	body := c.Request().Body
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	data, err := io.ReadAll(body)
	if err == nil {
		return data, nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, resource.Errorf(resource.CodePayloadTooLarge, "%s", bodyTooLargeDetail(mbe.Limit))
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return nil, resource.Errorf(resource.CodePayloadTooLarge, "the request body is too large")
	}
	return nil, resource.Errorf(resource.CodeBadRequest, "the request body could not be read")
}

// parseBody parses data as exactly one JSON value whose strings are all
// Unicode (see Decode).
func parseBody(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, resource.Errorf(resource.CodeBadRequest, "the request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, resource.Errorf(resource.CodeBadRequest, "malformed JSON at byte offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
		}
		return nil, resource.Errorf(resource.CodeBadRequest, "malformed JSON at byte offset %d: unexpected end of input", len(data))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, resource.Errorf(resource.CodeBadRequest, "malformed JSON at byte offset %d: unexpected data after the top-level value", dec.InputOffset())
	}
	if validate.TextFault(data).Malformed() {
		return nil, resource.MalformedText(data)
	}
	return tree, nil
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
	numberType          = reflect.TypeFor[json.Number]()
)

// checkValue records every way the decoded JSON value val does not fit
// the Go type t: unknown object keys and JSON type mismatches. null fits
// every type, as in encoding/json.
func checkValue(errs *resource.ValidationErrors, path string, val any, t reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if val == nil || t == nil {
		return
	}
	switch {
	case t == numberType:
		// encoding/json also accepts a string holding a number here.
		if s, ok := val.(string); ok && isNumber(s) {
			return
		}
		expectType[json.Number](errs, path, val, "a number")
		return
	case t == timeType:
		s, ok := val.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); !ok || err != nil {
			errs.Add(path, "must be an RFC 3339 date-time string")
		}
		return
	case reflect.PointerTo(t).Implements(jsonUnmarshalerType):
		return // the type checks its own input
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if _, ok := val.(string); !ok {
			errs.Add(path, mismatch("a string", val))
		}
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		return
	case reflect.String:
		expectType[string](errs, path, val, "a string")
	case reflect.Bool:
		expectType[bool](errs, path, val, "a boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		checkNumber(errs, path, val, t)
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			expectType[string](errs, path, val, "a base64 string")
			return
		}
		list, ok := val.([]any)
		if !ok {
			errs.Add(path, mismatch("an array", val))
			return
		}
		for i, e := range list {
			checkValue(errs, path+"["+strconv.Itoa(i)+"]", e, t.Elem())
		}
	case reflect.Map:
		obj, ok := val.(map[string]any)
		if !ok {
			errs.Add(path, mismatch("an object", val))
			return
		}
		for _, k := range sortedKeys(obj) {
			checkValue(errs, joinPath(path, k), obj[k], t.Elem())
		}
	case reflect.Struct:
		checkStruct(errs, path, val, t)
	}
}

// isNumber reports whether s is exactly one JSON number: valid JSON
// whose first byte can only start a number.
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Valid([]byte(s))
}

// checkStruct checks a JSON object against a struct type.
func checkStruct(errs *resource.ValidationErrors, path string, val any, t reflect.Type) {
	obj, ok := val.(map[string]any)
	if !ok {
		errs.Add(path, mismatch("an object", val))
		return
	}
	fields := jsonFields(t)
	for _, k := range sortedKeys(obj) {
		f, ok := fields[k]
		switch {
		case !ok:
			errs.Add(joinPath(path, k), "unknown field")
		case f.quoted:
			expectType[string](errs, joinPath(path, k), obj[k], "a string")
		default:
			checkValue(errs, joinPath(path, k), obj[k], f.typ)
		}
	}
}

// expectType records a mismatch unless val is a T.
func expectType[T any](errs *resource.ValidationErrors, path string, val any, want string) {
	if _, ok := val.(T); !ok {
		errs.Add(path, mismatch(want, val))
	}
}

// checkNumber checks that val is a number that fits the numeric type t.
func checkNumber(errs *resource.ValidationErrors, path string, val any, t reflect.Type) {
	n, ok := val.(json.Number)
	if !ok {
		want := "an integer"
		if t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64 {
			want = "a number"
		}
		errs.Add(path, mismatch(want, val))
		return
	}
	var err error
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(string(n), t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(string(n), 10, t.Bits())
	default:
		_, err = strconv.ParseInt(string(n), 10, t.Bits())
	}
	var ne *strconv.NumError
	switch {
	case err == nil:
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange:
		errs.Add(path, "is out of range")
	case strings.HasPrefix(string(n), "-") && t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		errs.Add(path, "must be a non-negative integer")
	default:
		errs.Add(path, "must be an integer")
	}
}

// jsonField is what Decode needs to know of one struct field.
type jsonField struct {
	typ    reflect.Type
	quoted bool // the ",string" option: the value is a JSON string
}

// jsonFields returns the fields encoding/json decodes into t, by JSON
// name, following the same tag and embedding rules (a shallower field
// wins over an embedded one of the same name).
func jsonFields(t reflect.Type) map[string]jsonField {
	fields := map[string]jsonField{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		quoted := false
		for o := range strings.SplitSeq(opts, ",") {
			quoted = quoted || o == "string"
		}
		switch ft.Kind() {
		case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			quoted = false // encoding/json ignores ",string" on other kinds
		}
		fields[name] = jsonField{typ: f.Type, quoted: quoted}
	}
	for _, et := range embedded {
		for name, f := range jsonFields(et) {
			if _, ok := fields[name]; !ok {
				fields[name] = f
			}
		}
	}
	return fields
}

// checkRequired records the required path segs below val as missing
// where its parent exists.
func checkRequired(errs *resource.ValidationErrors, prefix string, val any, segs []string) {
	switch v := val.(type) {
	case []any:
		for i, e := range v {
			checkRequired(errs, prefix+"["+strconv.Itoa(i)+"]", e, segs)
		}
	case map[string]any:
		child, ok := v[segs[0]]
		path := joinPath(prefix, segs[0])
		if len(segs) == 1 {
			if child == nil {
				errs.Add(path, "is required")
			}
			return
		}
		if ok && child != nil {
			checkRequired(errs, path, child, segs[1:])
		}
	}
}

// decodeError maps an error of the final, typed decode. checkValue has
// normally caught every client mistake already; this is the backstop.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var ie *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &te):
		var errs resource.ValidationErrors
		errs.Add(te.Field, "must be "+goTypeName(te.Type)+" (got "+te.Value+")")
		return errs.Err()
	case errors.As(err, &ie):
		return fmt.Errorf("rest: decode: %w", err) // a bug in the caller
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		var errs resource.ValidationErrors
		errs.Add(name, "unknown field")
		return errs.Err()
	}
	var errs resource.ValidationErrors
	errs.Add("", strings.TrimPrefix(err.Error(), "json: "))
	return errs.Err()
}

// goTypeName describes the JSON a Go type accepts.
func goTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// mismatch is the message for a value of the wrong JSON type.
func mismatch(want string, val any) string {
	return "must be " + want + ", not " + jsonType(val)
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// joinPath appends an object key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sortedKeys returns the keys of obj in sorted order.
func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// IsValidation reports whether err is a 422 VALIDATION_ERROR.
func IsValidation(err error) bool {
	var e *resource.Error
	return errors.As(err, &e) && e.Code == resource.CodeValidation
}

// Invalid merges the 422s of the checks of one request body into one
// that names every field error, in the order of errs, each field once:
// a field that decoding found mistaken is not named again by the
// constraints (a string sent for an int is not also "required"). A nil
// error is skipped; the first error that is not a 422 (a 400, a 403) is
// returned as it is.
func Invalid(errs ...error) error {
	var out *resource.Error
	named := make(map[string]bool)
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *resource.Error
		if !errors.As(err, &e) || e.Code != resource.CodeValidation {
			return err
		}
		if out == nil {
			cp := *e
			cp.Fields = nil
			out = &cp
		}
		for _, f := range e.Fields {
			if named[f.Field] {
				continue
			}
			named[f.Field] = true
			out.Fields = append(out.Fields, f)
		}
	}
	if out == nil {
		return nil
	}
	if len(out.Fields) > 1 {
		out.Detail = fmt.Sprintf("the request body has %d invalid fields", len(out.Fields))
	}
	return out
}

// dropPath removes from the tree obj the member at a field path of an
// error ("address.city", "tags[2]": the whole list), so that what is left
// decodes.
func dropPath(obj map[string]any, path string) {
	path, _, _ = strings.Cut(path, "[")
	for {
		key, rest, nested := strings.Cut(path, ".")
		if !nested {
			delete(obj, key)
			return
		}
		next, ok := obj[key].(map[string]any)
		if !ok {
			delete(obj, key)
			return
		}
		obj, path = next, rest
	}
}
