package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// crashEnv tells the test binary to play the crashing process.
const crashEnv = "SPECSTAR_SQLITE_CRASH_DB"

// TestCrashMidTransaction kills a process in the middle of a write
// transaction (os.Exit inside Update: no rollback, no commit, no Close)
// and checks that reopening the file shows the committed data and none of
// the torn write.
func TestCrashMidTransaction(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crash(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidTransaction$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("crashing process: %v\n%s", err, out)
	}
	s, kinds := migrated(t, path)
	defer s.Close()
	svc := resource.NewService(s, kinds.Schema)
	ctx := context.Background()
	if _, err := svc.Get(ctx, kinds.Author, "id-000001", resource.ReadOptions{}); err != nil {
		t.Fatalf("committed resource lost in the crash: %v", err)
	}
	got, err := svc.Get(ctx, kinds.Author, "id-000002", resource.ReadOptions{})
	if resource.CodeOf(err) != resource.CodeNotFound {
		t.Fatalf("torn write survived the crash: %+v, %v", got, err)
	}
	// The unique value the torn write held is free.
	if _, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"b@example.com"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// crash commits one resource, then dies halfway through a second write.
func crash(path string) {
	s, err := sqlite.Open(path)
	if err != nil {
		os.Exit(1)
	}
	kinds := resourcetest.NewKinds()
	ctx := context.Background()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		os.Exit(1)
	}
	svc := resource.NewService(s, kinds.Schema, resource.WithIDs(resourcetest.SeqIDs()))
	if _, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{}); err != nil {
		os.Exit(1)
	}
	_ = s.Update(ctx, func(w resource.Writer) error {
		data := json.RawMessage(`{"email":"b@example.com"}`)
		info := resource.RevisionInfo{
			RevisionID: "id-000002:1", ResourceID: "id-000002", Number: 1,
			Status: resource.StatusStable, DataHash: resource.DataHash(data),
		}
		rec := &resource.Record{
			Meta:    resource.Meta{ResourceID: "id-000002", CurrentRevisionID: info.RevisionID, TotalRevisionCount: 1},
			Current: info,
			Data:    data,
		}
		if w.PutRevision(kinds.Author, &resource.Revision{Info: info, Data: data}) != nil ||
			w.PutRecord(kinds.Author, rec) != nil {
			os.Exit(1)
		}
		os.Exit(3) // the process dies with the transaction open
		return nil
	})
	os.Exit(1)
}
