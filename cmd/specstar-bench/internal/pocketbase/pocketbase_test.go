package pocketbase

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// fakePocketBase records the admin calls Configure makes and answers
// them like PocketBase; failPath, when set, answers 400 there.
type fakePocketBase struct {
	calls    []string
	bodies   map[string]map[string]any
	failPath string
}

func (f *fakePocketBase) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	f.bodies[r.URL.Path] = body
	if r.URL.Path == f.failPath {
		http.Error(w, `{"message":"Failed to create record."}`, http.StatusBadRequest)
		return
	}
	if r.URL.Path != "/api/collections/_superusers/auth-with-password" && r.Header.Get("Authorization") != "tok" {
		http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"token":"tok"}`))
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name     string
		failPath string
		wantErr  string
	}{
		{name: "authenticates, creates the collection, turns logs off"},
		{name: "a refused collection is an error naming the step", failPath: "/api/collections", wantErr: "create collection"},
		{name: "a refused login is an error naming the step", failPath: "/api/collections/_superusers/auth-with-password", wantErr: "authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakePocketBase{bodies: map[string]map[string]any{}, failPath: tt.failPath}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			err := Configure(context.Background(), srv.Client(), srv.URL, []string{"a", "b"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "400") {
					t.Fatalf("err = %v, want a 400 error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"POST /api/collections/_superusers/auth-with-password",
				"POST /api/collections",
				"PATCH /api/settings",
			}
			if !slices.Equal(fake.calls, want) {
				t.Errorf("calls %q, want %q", fake.calls, want)
			}
			coll := fake.bodies["/api/collections"]
			for _, rule := range []string{"listRule", "viewRule", "createRule", "updateRule"} {
				if v, ok := coll[rule]; !ok || v != "" {
					t.Errorf("%s = %v, want open (\"\")", rule, v)
				}
			}
			if _, ok := coll["deleteRule"]; ok {
				t.Error("deleteRule set: the benchmark never deletes, so it stays locked")
			}
			if n := len(coll["fields"].([]any)); n != 5 {
				t.Errorf("%d fields, want 5", n)
			}
			if n := len(coll["indexes"].([]any)); n != 3 {
				t.Errorf("%d indexes, want 3", n)
			}
			logs := fake.bodies["/api/settings"]["logs"].(map[string]any)
			if logs["maxDays"] != float64(0) {
				t.Errorf("logs %v, want maxDays 0", logs)
			}
		})
	}
}

func TestServeArgs(t *testing.T) {
	got := strings.Join(ServeArgs("127.0.0.1:9", "/d"), " ")
	want := "serve --http 127.0.0.1:9 --dir /d --dev=false --automigrate=false --hooksWatch=false"
	if got != want {
		t.Errorf("ServeArgs = %q, want %q", got, want)
	}
}

func TestFields(t *testing.T) {
	fields := Fields([]string{"x", "y"})
	var names []string
	for _, f := range fields {
		names = append(names, f["name"].(string))
	}
	if want := []string{"title", "category", "happened_at", "body", "score"}; !slices.Equal(names, want) {
		t.Errorf("fields %v, want %v", names, want)
	}
	if v := fields[1]["values"].([]string); !slices.Equal(v, []string{"x", "y"}) {
		t.Errorf("category values %v", v)
	}
}
