// Package gql is the runtime of the generated GraphQL API: the HTTP
// handler around a gqlgen executable schema (transports for POST, GET,
// Server-Sent Events and WebSocket; depth, complexity and size limits;
// errors whose extensions.code equals the REST codes; the embedded
// GraphiQL page), the per-request batch loaders that resolve relations
// without N+1 queries, and the input types and helpers that generated
// resolvers share: filter inputs compiled to the REST filter language,
// connections, the JSON scalar.
//
// The package is named gql, not graphql, so that it never shadows
// gqlgen's graphql package in generated code.
package gql

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Defaults of Options.
const (
	DefaultMaxDepth      = 12
	DefaultMaxComplexity = 10000
	DefaultBodyLimit     = 1 << 20 // 1 MiB
	DefaultKeepAlive     = 15 * time.Second

	// The document limits keep the parsing, validation and field
	// collection of any document under 50 ms of CPU (docs/graphql.md has
	// the figures), above what real documents need: GraphiQL's
	// introspection query has 176 tokens, 3 fragments, 447 selections
	// counted per spread and 53,000 merge comparisons.
	DefaultMaxTokens     = 15000
	DefaultMaxFragments  = 200
	DefaultMaxSelections = 5000
	DefaultMaxMerges     = 100000
)

// Options configure the GraphQL handler. Zero fields take their defaults.
type Options struct {
	// Logger receives internal errors and recovered panics (never sent to
	// clients). Nil means slog.Default().
	Logger *slog.Logger
	// Feed delivers the change events of subscriptions. Nil disables
	// subscriptions: they fail with a clear error.
	Feed feed.Feed
	// MaxDepth bounds the nesting of selections (introspection fields
	// excepted).
	MaxDepth int
	// MaxComplexity bounds the computed cost of an operation: one per
	// field, times the page size for connections.
	MaxComplexity int
	// BodyLimit bounds the size in bytes of a POST body, of a WebSocket
	// message and of a document sent in the URL of a GET.
	BodyLimit int64
	// MaxTokens bounds the lexical tokens of a document (names,
	// punctuation, values; comments excepted). This limit and the three
	// below are checked before gqlgen parses or validates the document.
	MaxTokens int
	// MaxFragments bounds the fragment definitions of a document.
	MaxFragments int
	// MaxSelections bounds the fields, inline fragments and fragment
	// spreads of a document, a fragment's counted once per spread.
	MaxSelections int
	// MaxMerges bounds the work of the validation rule that checks that
	// fields with the same response name can be merged, an upper bound of
	// the comparisons it makes (docs/graphql.md): for each response name
	// used by n fields (a fragment's counted once per spread) whose
	// subselections hold s selections, n(n-1)/2 + (n-1)s; for each
	// selection set with p fragment spreads, p(p-1)/2 and more; for each
	// selection set of w selections, w(w-1)/2 (field collection).
	MaxMerges int
	// Observe, when set, is called once per executed operation (not for
	// documents refused before execution: parse, validation or limit
	// errors) with the operation's name ("" when anonymous), its kind
	// ("query", "mutation" or "subscription"), its duration and whether
	// its response had errors. For a subscription it is called when the
	// stream ends, with the stream's duration and whether any event had
	// errors. It may be called from any goroutine, concurrently with
	// other calls: keep it fast and safe for concurrent use.
	Observe func(ctx context.Context, operation string, kind string, d time.Duration, failed bool)
	// KeepAlive is the interval of keep-alive messages on subscription
	// streams (WebSocket pings, SSE comments).
	KeepAlive time.Duration
	// GraphiQL holds the GraphiQL assets (graphiql.min.js, ...). Nil
	// disables the page: browsers get the GraphQL endpoint itself.
	GraphiQL fs.FS
	// Authenticate turns the credentials of a WebSocket connection_init
	// payload ({"Authorization": "Bearer ..."}, as browsers cannot set
	// headers on a WebSocket) into the principal its subscriptions act
	// as. Nil ignores the payload. HTTP requests are authenticated by
	// the server's middleware before the handler runs.
	Authenticate func(ctx context.Context, authorization string) (*resource.Principal, error)
	// MaxUpload bounds the files of one multipart request (uploads by
	// the GraphQL multipart request spec), all together; each file is
	// also held to its field's max_size as it is stored.
	// DefaultMaxUpload when zero.
	MaxUpload int64
	// SpoolDir holds the files of multipart requests until the
	// resolvers store them; "" is os.TempDir().
	SpoolDir string
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxComplexity <= 0 {
		o.MaxComplexity = DefaultMaxComplexity
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = DefaultBodyLimit
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.MaxFragments <= 0 {
		o.MaxFragments = DefaultMaxFragments
	}
	if o.MaxSelections <= 0 {
		o.MaxSelections = DefaultMaxSelections
	}
	if o.MaxMerges <= 0 {
		o.MaxMerges = DefaultMaxMerges
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = DefaultMaxUpload
	}
	return o
}

// AssetsDir is the path segment below the endpoint under which the
// handler serves the GraphiQL assets: /graphql/assets/graphiql.min.js.
const AssetsDir = "assets"

// queryCacheSize is how many parsed and validated operations are kept.
const queryCacheSize = 1000

// NewHandler returns the HTTP handler of the GraphQL API of es, whose
// resolvers read and write through svc. Mount it at the endpoint path
// (/graphql) and at the endpoint path + "/assets/" (GraphiQL files):
//
//   - POST: queries, mutations (application/json bodies, or
//     multipart/form-data by the GraphQL multipart request spec, for
//     uploads), and
//     subscriptions as Server-Sent Events with Accept: text/event-stream;
//   - GET: queries in the URL, GraphiQL for browsers (Accept: text/html),
//     subscriptions over WebSocket (graphql-transport-ws and graphql-ws);
//   - OPTIONS: the allowed methods.
func NewHandler(es graphql.ExecutableSchema, svc *resource.Service, opts Options) http.Handler {
	opts = opts.withDefaults()
	if fast, ok := es.(FastQuerier); ok {
		es = fastSchema{ExecutableSchema: es, fast: fast}
	}
	srv := handler.New(es)
	limit := opts.BodyLimit
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: opts.KeepAlive,
		InitTimeout:           10 * time.Second,
		PayloadReadLimit:      &limit,
		InitFunc:              websocketInit(opts.Authenticate),
	})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: opts.KeepAlive})
	srv.AddTransport(transport.Options{AllowedMethods: []string{http.MethodOptions, http.MethodGet, http.MethodPost}})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(uploadTransport{svc: svc, bodyLimit: opts.BodyLimit, maxUpload: opts.MaxUpload, spoolDir: opts.SpoolDir})
	queries := lru.New[*ast.QueryDocument](queryCacheSize)
	srv.SetQueryCache(queries)
	// The document limits run before the cache lookup, the parser and the
	// validator. The parser's own token limit is not set: it counts
	// comments, which the limits leave out, and lexing is linear anyway.
	srv.Use(DocumentLimit{
		Bytes:      opts.BodyLimit,
		Tokens:     opts.MaxTokens,
		Fragments:  opts.MaxFragments,
		Selections: opts.MaxSelections,
		Merges:     opts.MaxMerges,
		Known:      queries,
	})
	srv.Use(extension.Introspection{})
	srv.Use(DepthLimit{Max: opts.MaxDepth})
	srv.Use(streamsOnly{})
	srv.Use(queryText{})
	srv.Use(&complexityLimit{limit: opts.MaxComplexity})
	srv.SetErrorPresenter(ErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(RecoverFunc(opts.Logger))
	// Every response gets fresh loaders: one per query or mutation, and
	// one per event of a subscription, so that no event sees data cached
	// for an earlier one.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(WithLoaders(ctx, svc))
	})
	if opts.Observe != nil {
		srv.AroundOperations(observeOperations(opts.Observe))
	}
	return &httpHandler{gql: srv, opts: opts}
}

// httpHandler adds the GraphiQL page, the assets, the body limit and the
// streaming deadlines around gqlgen's server.
type httpHandler struct {
	gql  *handler.Server
	opts Options
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := assetPath(r.URL.Path); ok && h.opts.GraphiQL != nil {
		serveAsset(w, r, h.opts.GraphiQL, name)
		return
	}
	upgrade := r.Header.Get("Upgrade") != ""
	if r.Method == http.MethodGet && !upgrade && h.opts.GraphiQL != nil && wantsHTML(r) {
		serveGraphiQL(w, r)
		return
	}
	if r.Method == http.MethodPost && !isMultipart(r) {
		// A multipart request (uploads) streams: its transport bounds
		// each part.
		if !h.readBody(w, r) {
			return
		}
	}
	if upgrade || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		// Subscriptions outlive the server's read and write timeouts,
		// which are meant for ordinary requests.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	} else {
		r = r.WithContext(context.WithValue(r.Context(), noStreamKey{}, true))
	}
	h.gql.ServeHTTP(w, r)
}

// readBody reads a POST body of at most BodyLimit bytes into memory, or
// answers 413 (400 for text that is not Unicode, see text.go) and reports
// false.
func (h *httpHandler) readBody(w http.ResponseWriter, r *http.Request) bool {
	limit := h.opts.BodyLimit
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge(limit))
		return false
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge(min(limit, mbe.Limit)))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, resource.Errorf(resource.CodeBadRequest, "the request body could not be read"))
		return false
	case int64(len(data)) > limit:
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge(limit))
		return false
	}
	if e := bodyTextError(data); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return false
	}
	r.Body = &readBody{Reader: bytes.NewReader(data), data: data}
	return true
}

// readBody is a request body read into memory by the handler: the POST
// transport takes its bytes rather than copying them again.
type readBody struct {
	*bytes.Reader
	data []byte
}

// Close implements io.Closer.
func (*readBody) Close() error { return nil }

// bodyBytes returns the rest of r's body: the bytes the handler read, or
// what is left to read.
func bodyBytes(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(*readBody); ok && b.Len() == len(b.data) {
		b.Reset(nil)
		return b.data, nil
	}
	return io.ReadAll(r.Body)
}

func tooLarge(limit int64) *resource.Error {
	return resource.Errorf(resource.CodePayloadTooLarge, "the request body is larger than the limit of %d bytes", limit)
}

// wantsHTML reports whether a GET comes from a browser navigating to the
// endpoint: it accepts text/html and sends no query.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") && r.URL.Query().Get("query") == ""
}

// noStreamKey marks the context of a request that cannot stream: a plain
// POST or GET.
type noStreamKey struct{}

// streamsOnly refuses subscriptions in requests that cannot stream: over
// a plain POST, gqlgen would hold the request until the first event.
type streamsOnly struct{}

// ExtensionName implements graphql.HandlerExtension.
func (streamsOnly) ExtensionName() string { return "StreamsOnly" }

// Validate implements graphql.HandlerExtension.
func (streamsOnly) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (streamsOnly) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Subscription || ctx.Value(noStreamKey{}) == nil {
		return nil
	}
	return gqlerror.Errorf("subscriptions need a stream: use a WebSocket (graphql-transport-ws or graphql-ws) or a POST with Accept: text/event-stream")
}

// websocketInit returns the InitFunc of the WebSocket transport: the
// connection acts as the principal of the payload's Authorization value
// (or of its upgrade request, when the payload has none). Bad
// credentials refuse the connection.
func websocketInit(authenticate func(context.Context, string) (*resource.Principal, error)) transport.WebsocketInitFunc {
	if authenticate == nil {
		return nil
	}
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		auth := payload.Authorization()
		if auth == "" {
			if s, ok := payload["authorization"].(string); ok {
				auth = s
			}
		}
		if auth == "" {
			return ctx, nil, nil
		}
		p, err := authenticate(ctx, auth)
		if err != nil {
			return ctx, nil, err
		}
		return resource.WithPrincipal(ctx, p), nil, nil
	}
}
