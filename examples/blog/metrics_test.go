package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// GraphQL operations reach /metrics through the GraphQL handler's Observe
// hook, next to the REST requests and the writes.
func TestMetricsCountGraphQL(t *testing.T) {
	s := newGQLServer(t, backends[0], nil)
	if code, _, body := s.post(`{"query":"{ posts { totalCount } }"}`); code != http.StatusOK {
		t.Fatalf("query: %d %s", code, body)
	}
	s.createAuthor("Ada", "ada@example.com")
	resp, err := s.rest.hc.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`specstar_graphql_operations_total{kind="query",outcome="ok"} 1`,
		`specstar_graphql_operations_total{kind="mutation",outcome="ok"} 1`,
		`specstar_resource_revisions_written_total{kind="Author"} 1`,
		`specstar_http_requests_total{method="POST",route="/graphql",status="200"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
