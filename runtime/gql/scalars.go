package gql

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/99designs/gqlgen/graphql"

	"github.com/specstar-go/specstar/runtime/resource"
)

// MarshalJSON is the output side of the JSON scalar (json fields, merge
// patches, diffs): the value is written as it is stored. An empty value
// is null.
func MarshalJSON(v json.RawMessage) graphql.Marshaler {
	if len(v) == 0 {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) { _, _ = w.Write(v) })
}

// UnmarshalJSON is the input side of the JSON scalar: any GraphQL value
// (from a literal or from variables) becomes its compact JSON encoding.
// Null becomes a nil RawMessage.
func UnmarshalJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	// A file of a multipart request (a patch's {"upload": <file>})
	// becomes its token, which SaveUploads finds.
	v = uploadValues(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, resource.Errorf(resource.CodeBadRequest, "JSON value cannot be encoded: %v", err)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
