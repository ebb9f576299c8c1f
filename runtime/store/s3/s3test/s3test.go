// Package s3test runs an in-process S3-compatible server (gofakes3 on an
// in-memory backend, behind httptest on loopback) for tests of the S3
// revision store, the S3 blob store and servers configured with
// SPECSTAR_S3_* settings. Nothing leaves the process.
package s3test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/specstar-go/specstar/runtime/blob"
)

// Credentials and bucket of every fake server. The server accepts any
// credentials; these are what a client is configured with.
const (
	Bucket          = "specstar-test"
	Region          = "us-east-1"
	AccessKeyID     = "specstar-test-key"
	SecretAccessKey = "specstar-test-secret"
)

// Fake starts a fake S3 server with an empty bucket named Bucket, stopped
// when tb ends, and returns the configuration that reaches it (no key
// prefix, one attempt per request so that failures show at once).
func Fake(tb testing.TB) blob.S3Config {
	return Start(tb, nil).Config
}

// Server is a running fake S3 server.
type Server struct {
	// URL is the endpoint, e.g. "http://127.0.0.1:41234".
	URL string
	// Config reaches the server's bucket.
	Config blob.S3Config
	// Backend holds the objects; tests may inspect it directly.
	Backend *s3mem.Backend
}

// Start starts a fake S3 server with an empty bucket named Bucket, stopped
// when tb ends. When wrap is not nil, requests go through the handler it
// returns, so a test can observe them or inject failures.
func Start(tb testing.TB, wrap func(http.Handler) http.Handler) *Server {
	tb.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		tb.Fatalf("s3test: create bucket: %v", err)
	}
	h := gofakes3.New(backend).Server()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &Server{
		URL: srv.URL,
		Config: blob.S3Config{
			Endpoint:        srv.URL,
			Region:          Region,
			AccessKeyID:     AccessKeyID,
			SecretAccessKey: SecretAccessKey,
			Bucket:          Bucket,
			MaxAttempts:     1,
		},
		Backend: backend,
	}
}
