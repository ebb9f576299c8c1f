package gql

import (
	"context"
	"encoding/binary"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/specstar-go/specstar/runtime/jsonread"
)

// Writing data from its stored JSON.
//
// The store hands a list its records' data as the JSON it keeps, and the
// REST list writes those bytes as they are. The fast path used to decode
// each record's data into its Go type and write the selected fields of
// the decoded value: for a page of 20 records, a third of the GraphQL
// list's cost beyond the REST list's (the decoding, its allocations and
// their garbage collection). Encoder.Stored writes the selected fields
// of a record's data from the stored JSON instead: it finds each member
// once, copies a string, an integer or a boolean as it is when its bytes
// are those gqlgen would write, and converts the others (an enum value to
// its GraphQL name, a time to RFC 3339 with nanoseconds, a float).
//
// It takes only what it is sure of. A member it does not know, a
// duplicate, a null or missing value in a non-null field, a string with
// escapes, an integer not in its shortest form: anything of the kind
// makes it report false, having written nothing, and the caller decodes
// the data and writes the decoded value as before. So the response is
// byte for byte the one the decoded value gives (and gqlgen's executor):
// the stored form is only ever a faster way to the same bytes.

// StoredKind says how a field's stored JSON value is written.
type StoredKind uint8

const (
	// StoredOther is a member written only from the decoded value: a file,
	// a write-only field (which is stored but not in the schema).
	StoredOther StoredKind = iota
	StoredString
	StoredInt
	StoredFloat
	StoredBool
	StoredTime
	StoredEnum
	// StoredJSON is a value of the JSON scalar.
	StoredJSON
	StoredObject
	StoredList
)

// StoredField is one member of a stored data object.
type StoredField struct {
	// Key is the member's name in the stored JSON; Name the GraphQL
	// field's ("" when the schema has none).
	Key, Name string
	Kind      StoredKind
	// Null is set when the Go value is a pointer, a list or JSON: null or
	// a missing member is null. A non-null field declines both.
	Null bool
	// Enum maps the stored values of an enum to their GraphQL names.
	Enum map[string]string
	// Object is the type of an object, or of a list's objects.
	Object *StoredType
	// Elem is the element of a list.
	Elem *StoredField
}

// StoredType is a GraphQL object type of data (a resource's data, a
// nested object) with the members of its stored JSON.
type StoredType struct {
	name   string
	fields []StoredField
	byKey  map[string]int
	byName map[string]int
}

// NewStoredType returns the type name whose stored JSON has the members
// fields. The generated code declares one per data type.
func NewStoredType(name string, fields ...StoredField) *StoredType {
	t := &StoredType{name: name, fields: fields, byKey: make(map[string]int, len(fields)), byName: make(map[string]int, len(fields))}
	for i, f := range fields {
		t.byKey[f.Key] = i
		if f.Name != "" {
			t.byName[f.Name] = i
		}
	}
	return t
}

// maxStackFields is the number of members whose positions are kept on
// the stack; a type with more allocates them.
const maxStackFields = 32

// Stored writes the fields of sel selected on data, the stored JSON of an
// object of type t, and reports true; or reports false having written
// nothing, when it does not take data as it is: the caller then writes
// the decoded value.
func (e *Encoder) Stored(t *StoredType, data []byte, sel ast.SelectionSet) bool {
	mark := len(e.buf)
	if !e.storedObject(t, data, sel) {
		e.buf = e.buf[:mark]
		return false
	}
	return true
}

// storedObject writes an object: it finds each member's value, then
// writes the selected fields in the selection's order.
func (e *Encoder) storedObject(t *StoredType, data []byte, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, t.name)
	if !ok {
		return false
	}
	var stack [maxStackFields][]byte
	var values [][]byte
	if len(t.fields) <= maxStackFields {
		values = stack[:len(t.fields)]
	} else {
		values = make([][]byte, len(t.fields))
	}
	var rd jsonread.Reader
	rd.Reset(data)
	if !rd.Object() {
		return false
	}
	for {
		key, ok := rd.Key()
		if !ok {
			break
		}
		i, known := t.byKey[string(key)]
		if !known || values[i] != nil {
			return false
		}
		values[i] = rd.Span()
	}
	if rd.Done() != nil {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		if f.Name == "__typename" {
			e.String(t.name)
			continue
		}
		i, ok := t.byName[f.Name]
		if !ok || !e.storedValue(&t.fields[i], values[i], f.Selections) {
			return false
		}
	}
	e.Close()
	return true
}

// storedValue writes the stored value v of field fd (nil when missing).
func (e *Encoder) storedValue(fd *StoredField, v []byte, sel ast.SelectionSet) bool {
	if fd.Kind == StoredJSON {
		// The decoded value is these bytes (a missing member: none).
		return e.JSON(v)
	}
	if len(v) == 0 || string(v) == "null" {
		if !fd.Null {
			return false
		}
		e.Null()
		return true
	}
	switch fd.Kind {
	case StoredString:
		return e.storedString(v)
	case StoredInt:
		if !shortestInt(v) {
			return false
		}
		e.buf = append(e.buf, v...)
		return true
	case StoredBool:
		if string(v) != "true" && string(v) != "false" {
			return false
		}
		e.buf = append(e.buf, v...)
		return true
	case StoredFloat:
		var rd jsonread.Reader
		rd.Reset(v)
		f := rd.Float64()
		return rd.Done() == nil && e.Float(f)
	case StoredTime:
		if canonicalTime(v) {
			e.buf = append(e.buf, v...)
			return true
		}
		var rd jsonread.Reader
		rd.Reset(v)
		t := rd.Time()
		return rd.Done() == nil && e.Time(t)
	case StoredEnum:
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return false
		}
		name, ok := fd.Enum[string(v[1:len(v)-1])]
		if ok {
			e.String(name)
		}
		return ok
	case StoredObject:
		return e.storedObject(fd.Object, v, sel)
	case StoredList:
		var rd jsonread.Reader
		rd.Reset(v)
		if !rd.Array() {
			return false
		}
		e.OpenList()
		for rd.Next() {
			e.Elem()
			if !e.storedValue(fd.Elem, rd.Span(), sel) {
				return false
			}
		}
		e.CloseList()
		return rd.Done() == nil
	}
	return false
}

// storedString writes the stored string v: as it is when gqlgen writes
// the decoded string the same way (no escapes, no bytes it escapes, valid
// UTF-8 without U+2028 or U+2029), else decoded and written again.
func (e *Encoder) storedString(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	s := v[1 : len(v)-1]
	ascii := true
	i := 0
	// Eight bytes at a time while none needs a look (most text), then
	// byte by byte.
	for ; i+8 <= len(s); i += 8 {
		if w := binary.LittleEndian.Uint64(s[i:]); !plainWord(w) {
			break
		}
	}
	for _, b := range s[i:] {
		if !plainByte[b] {
			if b < utf8.RuneSelf {
				return e.decodedString(v)
			}
			ascii = false
		}
	}
	if !ascii && (!utf8.Valid(s) || containsLineSeparator(s)) {
		return e.decodedString(v)
	}
	e.buf = append(e.buf, v...)
	return true
}

// decodedString decodes the stored string v and writes it.
func (e *Encoder) decodedString(v []byte) bool {
	var rd jsonread.Reader
	rd.Reset(v)
	s := rd.String()
	if rd.Done() != nil {
		return false
	}
	e.String(s)
	return true
}

// Word tests: each of these has the high bit of a byte set when that
// byte of w is zero (haszero), or less than n (hasless); both are exact
// when no byte of w has its high bit set.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func haszero(w uint64) bool { return (w-ones)&^w&highs != 0 }

// plainWord reports whether the eight bytes of w are all plain bytes
// (plainByte): ASCII, no control character, no '"', '\\', '<', '>', '&'.
func plainWord(w uint64) bool {
	if w&highs != 0 || (w-0x20*ones)&^w&highs != 0 {
		return false
	}
	return !haszero(w^('"'*ones)) && !haszero(w^('\\'*ones)) && !haszero(w^('<'*ones)) &&
		!haszero(w^('>'*ones)) && !haszero(w^('&'*ones))
}

// canonicalTime reports whether v, a JSON string, is a time as RFC 3339
// with nanoseconds writes it (time.Time.MarshalJSON, Encoder.Time), so
// that parsing it and writing it again gives the same bytes: a year from
// 1000 on, a valid date and time of day, a fraction of 1 to 9 digits
// without trailing zeros, and Z or an offset other than zero (which is
// written Z). Anything else is parsed and written again.
func canonicalTime(v []byte) bool {
	n := len(v)
	if n < len(`"2006-01-02T15:04:05Z"`) || v[0] != '"' || v[n-1] != '"' {
		return false
	}
	s := v[1 : n-1]
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	ok := true
	two := func(i int) int {
		a, b := s[i]-'0', s[i+1]-'0'
		if a > 9 || b > 9 {
			ok = false
		}
		return int(a)*10 + int(b)
	}
	year := two(0)*100 + two(2)
	month, day, hour, minute, sec := two(5), two(8), two(11), two(14), two(17)
	if !ok || year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 1 || j > 10 || rest[j-1] == '0' {
			return false
		}
		rest = rest[j:]
	}
	switch {
	case len(rest) == 1:
		return rest[0] == 'Z'
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		s = rest
		oh, om := two(1), two(4)
		return ok && oh <= 23 && om <= 59 && oh+om > 0
	}
	return false
}

// daysIn returns the number of days of a month.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// containsLineSeparator reports whether s holds U+2028 or U+2029
// (E2 80 A8, E2 80 A9 in UTF-8), which the transport escapes.
func containsLineSeparator(s []byte) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return true
		}
	}
	return false
}

// shortestInt reports whether v is an integer as strconv.AppendInt writes
// it (no sign but '-', no leading zero, not -0), within int64: its
// decoded value is written as these bytes.
func shortestInt(v []byte) bool {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || digits[0] == '0' && (len(digits) > 1 || len(v) > 1) {
		return false
	}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return false
		}
	}
	return true
}

// storedKey marks the context of a root resolver that the fast path
// calls (ResolverContext).
type storedKey struct{}

// WritesStored reports whether the result of the resolver of ctx is
// written by the fast path, which writes data from its stored JSON: a
// list resolver then leaves its records' data undecoded, handing the
// stored JSON to the encoders beside them. Under gqlgen's executor it is
// false, and every record is decoded.
func WritesStored(ctx context.Context) bool {
	v, _ := ctx.Value(storedKey{}).(bool)
	return v
}
