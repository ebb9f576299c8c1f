package gql

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport is gqlgen's POST transport (transport.POST: the same requests,
// status codes, content types and error messages) with one change: a
// response that holds only data, as the fast path of queries writes it,
// is written as it is. gqlgen's transport passes every response through
// encoding/json, which scans and copies the data it already holds as
// JSON, a tenth of the cost of a list query.
type postTransport struct {
	transport.POST
}

// Media types of responses (GraphQL over HTTP).
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// Do implements graphql.Transport.
func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := bodyBytes(r)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}), nil)
		return
	}
	params := &graphql.RawParams{}
	if err := decodeParams(body, params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf(
			"json request body could not be decoded: %+v body:%s", err, body)}), nil)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	mark := &fastMark{}
	dispatch(context.WithValue(ctx, fastMarkKey{}, mark), w, exec, params, contentType, mark)
	if mark.data != nil {
		putBuffer(mark.data)
	}
}

// dispatch runs the operation of params and writes its response, as
// gqlgen's POST transport does: an operation that does not parse or
// validate is 422 (400 for a client that asked for
// application/graphql-response+json), anything else 200. mark, when not
// nil, lets a fast-path response be written as it is (writeResponse).
func dispatch(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, params *graphql.RawParams, contentType string, mark *fastMark) {
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr), nil)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx), mark)
}

// fastMarkKey keys the fastMark of a POST request's context.
type fastMarkKey struct{}

// fastMark receives the data the fast path wrote for a request, so that
// the transport writes that data, and only that, as it is: gqlgen's own
// data is not escaped as encoding/json escapes it, and the transport's
// encoding makes it so.
type fastMark struct{ data []byte }

// markFast records data as the fast path's answer to the request of ctx.
func markFast(ctx context.Context, data []byte) {
	if m, ok := ctx.Value(fastMarkKey{}).(*fastMark); ok {
		m.data = data
	}
}

// responseContentType is the media type of the response to r, as
// gqlgen's POST transport picks it: application/json unless the client
// asks for application/graphql-response+json (or accepts neither).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// dataOnlyPrefix and dataOnlySuffix surround the data of a response
// without errors or extensions: what encoding/json writes for it.
const (
	dataOnlyPrefix = `{"data":`
	dataOnlySuffix = `}`
)

// writeResponse writes resp: a response of data only, the data being
// what the fast path wrote (mark), as it is; anything else through
// encoding/json as gqlgen does.
func writeResponse(w io.Writer, resp *graphql.Response, mark *fastMark) {
	if resp != nil && mark != nil && len(mark.data) > 0 && len(resp.Data) == len(mark.data) && &resp.Data[0] == &mark.data[0] &&
		len(resp.Errors) == 0 && len(resp.Extensions) == 0 && resp.Label == "" && resp.Path == nil && resp.HasNext == nil {
		_, _ = io.WriteString(w, dataOnlyPrefix)
		_, _ = w.Write(resp.Data)
		_, _ = io.WriteString(w, dataOnlySuffix)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", resp.Data, err))
	}
	_, _ = w.Write(b)
}
