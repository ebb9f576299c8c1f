package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	gqlclient "github.com/99designs/gqlgen/client"
)

// changeEvent is one event of a postChanged subscription.
type changeEvent struct {
	PostChanged struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
		Post *struct {
			Data struct {
				Title string `json:"title"`
			} `json:"data"`
		} `json:"post"`
	} `json:"postChanged"`
}

const changesQuery = `subscription($id: ID) { postChanged(id: $id) { kind id post { data { title } } } }`

// subscription reads the events of one subscription.
type subscription interface {
	next() (changeEvent, error)
	close()
}

// wsSubscription subscribes over a WebSocket with gqlgen's client.
type wsSubscription struct{ sub *gqlclient.Subscription }

func (w wsSubscription) next() (changeEvent, error) {
	var e changeEvent
	err := w.sub.Next(&e)
	return e, err
}

func (w wsSubscription) close() { w.sub.Close() }

// sseSubscription subscribes with Server-Sent Events over real HTTP.
type sseSubscription struct {
	cancel context.CancelFunc
	resp   *http.Response
	lines  *bufio.Scanner
}

func (s *sseSubscription) next() (changeEvent, error) {
	var e changeEvent
	for s.lines.Scan() {
		data, ok := strings.CutPrefix(s.lines.Text(), "data: ")
		if !ok {
			continue // event names, keep-alive comments, blank lines
		}
		var msg struct {
			Data   changeEvent     `json:"data"`
			Errors json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal([]byte(data), &msg); err != nil {
			return e, err
		}
		if len(msg.Errors) > 0 {
			return e, &gqlclient.RawJsonError{RawMessage: msg.Errors}
		}
		return msg.Data, nil
	}
	if err := s.lines.Err(); err != nil {
		return e, err
	}
	return e, context.Canceled
}

func (s *sseSubscription) close() {
	s.cancel()
	s.resp.Body.Close()
}

// subscribe starts a postChanged subscription over transport ("ws" or
// "sse") and waits until the server has registered it.
func (s *gqlServer) subscribe(transport, id string) subscription {
	s.t.Helper()
	before := s.srv.Feed().Subscribers()
	var sub subscription
	var idVar any
	if id != "" {
		idVar = id
	}
	switch transport {
	case "ws":
		sub = wsSubscription{s.gql.Websocket(changesQuery, gqlclient.Var("id", idVar))}
	case "sse":
		ctx, cancel := context.WithCancel(context.Background())
		body := mustMarshal(s.t, map[string]any{"query": changesQuery, "variables": map[string]any{"id": idVar}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/graphql", strings.NewReader(body))
		if err != nil {
			s.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			s.t.Fatalf("SSE: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		sub = &sseSubscription{cancel: cancel, resp: resp, lines: bufio.NewScanner(resp.Body)}
	}
	s.t.Cleanup(sub.close)
	deadline := time.Now().Add(5 * time.Second)
	for s.srv.Feed().Subscribers() <= before {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s subscription not registered", transport)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return sub
}

// expect reads len(want) events and checks their kind, id and title
// ("" for a null post).
func expect(t *testing.T, sub subscription, want ...[3]string) {
	t.Helper()
	for i, w := range want {
		type result struct {
			e   changeEvent
			err error
		}
		ch := make(chan result, 1)
		go func() {
			e, err := sub.next()
			ch <- result{e, err}
		}()
		var r result
		select {
		case r = <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d (%v): none within 5s", i, w)
		}
		if r.err != nil {
			t.Fatalf("event %d (%v): %v", i, w, r.err)
		}
		c := r.e.PostChanged
		title := ""
		if c.Post != nil {
			title = c.Post.Data.Title
		}
		if got := [3]string{c.Kind, c.ID, title}; got != w {
			t.Errorf("event %d: %v, want %v", i, got, w)
		}
	}
}

// TestGraphQLSubscriptions follows the changes of posts over WebSocket
// and Server-Sent Events: every kind of write, cascades, and a
// subscription to one post.
func TestGraphQLSubscriptions(t *testing.T) {
	for _, b := range backends {
		for _, transport := range []string{"ws", "sse"} {
			t.Run(b.name+"/"+transport, func(t *testing.T) {
				t.Parallel()
				s := newGQLServer(t, b, nil)
				author := s.createAuthor("Ada", "ada@example.com")
				all := s.subscribe(transport, "")

				id := s.createPost(postInput("One", "one", author))
				one := s.subscribe(transport, id)
				other := s.createPost(postInput("Other", "other", author))
				s.query(`mutation($id: ID!, $in: PostInput!) { updatePost(id: $id, input: $in) { id } }`, "id", id, "in", postInput("Two", "one", author))
				s.query(`mutation($id: ID!) { patchPost(id: $id, patch: {title: "Three"}) { id } }`, "id", id)
				s.query(`mutation($id: ID!) { switchPostRevision(id: $id, revision: "1") { id } }`, "id", id)
				s.query(`mutation($id: ID!) { deletePost(id: $id) { id } }`, "id", id)
				s.query(`mutation($id: ID!) { restorePost(id: $id) { id } }`, "id", id)
				s.query(`mutation($id: ID!) { purgePost(id: $id) }`, "id", id)
				s.query(`mutation($id: ID!) { deleteAuthor(id: $id) { id } }`, "id", author) // cascades to other

				expect(t, all,
					[3]string{"CREATED", id, "One"}, [3]string{"CREATED", other, "Other"},
					[3]string{"UPDATED", id, "Two"}, [3]string{"UPDATED", id, "Three"},
					[3]string{"SWITCHED", id, "One"}, [3]string{"DELETED", id, "One"},
					[3]string{"RESTORED", id, "One"}, [3]string{"PURGED", id, ""},
					[3]string{"DELETED", other, "Other"})
				expect(t, one,
					[3]string{"UPDATED", id, "Two"}, [3]string{"UPDATED", id, "Three"},
					[3]string{"SWITCHED", id, "One"}, [3]string{"DELETED", id, "One"},
					[3]string{"RESTORED", id, "One"}, [3]string{"PURGED", id, ""})
			})
		}
	}
}

// TestGraphQLSubscriptionsEndOnShutdown checks that closing the server
// ends open subscription streams, so that shutdown does not wait for
// them.
func TestGraphQLSubscriptionsEndOnShutdown(t *testing.T) {
	s := newGQLServer(t, backends[0], nil)
	sub := s.subscribe("sse", "")
	s.srv.Feed().Close()
	done := make(chan error, 1)
	go func() {
		_, err := sub.next()
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("got an event after the feed closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
}
