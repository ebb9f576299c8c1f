package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/server"
)

// The live conformance check: every exchange of the HTTP suite (client.send
// in harness_test.go) is checked against the OpenAPI document the server
// embeds and serves, with kin-openapi's openapi3filter:
//
//   - every response must match its operation: a documented status, the
//     documented headers (ETag, Location) and a body that validates
//     against the documented schema, problem+json errors included;
//   - a request the document rejects (a missing required field, limit=0,
//     a wrong Content-Type, ...) must be rejected by the server too, with
//     a 4xx. The suite sends many such requests on purpose; the document
//     may be looser than the server (it cannot say that a ref must name a
//     live resource) but never stricter;
//   - a request to a route the document does not describe must be a 404
//     or 405 problem.

// docChecker validates exchanges against the blog's OpenAPI document.
type docChecker struct {
	doc    *openapi3.T
	router routers.Router
}

// apiDoc loads the document once per test binary.
var apiDoc = sync.OnceValues(func() (*docChecker, error) {
	loader := openapi3.NewLoader()
	app, ok := blog.App().(server.DocumentedApp)
	if !ok {
		return nil, errors.New("blog.App() has no OpenAPI document")
	}
	doc, err := loader.LoadFromData(app.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is invalid: %w", err)
	}
	// Formats kin-openapi does not check by default, checked as the server
	// checks them (uuid: any RFC 9562 layout, not only v1-v5).
	doc.SetStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"uuid":  openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`),
		"email": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail),
		"uri":   absoluteURI{},
	})
	// The document's one server is "/", relative to wherever it is served.
	// kin-openapi's router would match it against the absolute test URL;
	// without servers it routes by path alone, which is what "/" means.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &docChecker{doc: doc, router: router}, nil
})

// absoluteURI validates the uri format: an absolute URI.
type absoluteURI struct{}

func (absoluteURI) Validate(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URI", s)
	}
	return nil
}

// exchange is one request and its response, as client.send saw them.
type exchange struct {
	method string
	url    string
	header http.Header
	body   []byte // request body; nil for none
	status int
	rheads http.Header
	rbody  []byte
}

// check returns every way the exchange disagrees with the document, and
// whether the document rejects the request.
func (d *docChecker) check(x exchange) (problems []string, rejected bool) {
	ctx := context.Background()
	req, err := x.request()
	if err != nil {
		return []string{err.Error()}, false
	}
	route, pathParams, err := d.router.FindRoute(req)
	if err != nil {
		return d.checkUnrouted(x, err), true
	}
	opts := &openapi3filter.Options{
		MultiError:              true,
		IncludeResponseStatus:   true,
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: d.doc.GetSchemaValidationOptions(),
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil {
		rejected = true
		if x.status < 400 || x.status > 499 {
			problems = append(problems, fmt.Sprintf("the document rejects the request but the server answered %d: %s", x.status, flatten(reqErr)))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.status,
		Header:                 x.rheads,
		Options:                opts,
	}
	out.SetBodyBytes(x.rbody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, fmt.Sprintf("response %d does not match operation %s: %s", x.status, route.Operation.OperationID, flatten(err)))
	}
	return problems, rejected
}

// checkUnrouted checks the answer to a request for a route the document
// does not have: a 404 or 405 problem.
func (d *docChecker) checkUnrouted(x exchange, routeErr error) []string {
	if x.status != http.StatusNotFound && x.status != http.StatusMethodNotAllowed {
		return []string{fmt.Sprintf("the document has no such route (%v) but the server answered %d", routeErr, x.status)}
	}
	var v any
	if err := json.Unmarshal(x.rbody, &v); err != nil {
		return []string{fmt.Sprintf("%d answer is not JSON: %v", x.status, err)}
	}
	if err := d.doc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		return []string{fmt.Sprintf("%d answer is not a Problem: %s", x.status, flatten(err))}
	}
	return nil
}

// request rebuilds the request for the validator, which reads its body.
func (x exchange) request() (*http.Request, error) {
	var body io.Reader
	if x.body != nil {
		body = bytes.NewReader(x.body)
	}
	req, err := http.NewRequest(x.method, x.url, body)
	if err != nil {
		return nil, err
	}
	req.Header = x.header.Clone()
	return req, nil
}

// flatten joins the errors of a MultiError on one line each, without the
// schema dumps kin-openapi appends.
func flatten(err error) string {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		parts := make([]string, len(multi))
		for i, e := range multi {
			parts[i] = flatten(e)
		}
		return strings.Join(parts, "; ")
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at %s)", se.Reason, strings.Join(se.JSONPointer(), "."))
	}
	msg := err.Error()
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// checkExchange validates one exchange seen by client c and reports every
// mismatch as a test error. It is safe to call from any goroutine.
func (c *client) checkExchange(x exchange) {
	d, err := apiDoc()
	if err != nil {
		c.t.Errorf("OpenAPI conformance: %v", err)
		return
	}
	problems, rejected := d.check(x)
	if rejected {
		c.docRejected.Add(1)
	}
	for _, p := range problems {
		c.t.Errorf("%s %s: OpenAPI conformance: %s; response body: %s", x.method, strings.TrimPrefix(x.url, c.base), p, short(x.rbody))
	}
}

// TestOpenAPIRejectsWhatTheServerRejects shows that the request side of
// the live check has teeth: each of these deliberately invalid requests is
// rejected by the document and by the server.
func TestOpenAPIRejectsWhatTheServerRejects(t *testing.T) {
	c := newClient(t, backends[0], nil)
	author := c.createAuthor("Ada", "ada@example.com")
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		header []string
		status int
	}{
		{name: "missing required field", method: "POST", path: "/api/authors", body: `{"email": "x@example.com"}`, status: 422},
		{name: "unknown field", method: "POST", path: "/api/authors", body: `{"name": "A", "email": "b@example.com", "nick": "c"}`, status: 422},
		{name: "limit too large", method: "GET", path: "/api/authors?limit=1001", status: 400},
		{name: "bad include_deleted", method: "GET", path: "/api/authors?include_deleted=maybe", status: 400},
		{name: "bad mode", method: "PUT", path: "/api/authors/" + author + "?mode=other", body: `{"name": "A", "email": "ada@example.com"}`, status: 400},
		{name: "wrong content type", method: "PATCH", path: "/api/authors/" + author, body: `{"name": "B"}`, header: []string{"Content-Type", "text/plain"}, status: 415},
	}
	for _, tt := range tests {
		before := c.docRejected.Load()
		r := c.do(tt.method, tt.path, tt.body, tt.header...)
		if r.Status != tt.status {
			t.Errorf("%s: status %d, want %d; body: %s", tt.name, r.Status, tt.status, short(r.Body))
		}
		if c.docRejected.Load() != before+1 {
			t.Errorf("%s: the document accepted a request the server rejects with %d", tt.name, r.Status)
		}
	}
}
