package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints.
//
// In WAL mode a commit appends pages to the -wal file, and a checkpoint
// copies them back into the database file, with an fsync of each file.
// SQLite runs the checkpoint itself in the connection that commits when
// the WAL passes wal_autocheckpoint pages, that is on the single write
// connection, while it holds the write lock: every write waits for the
// copy and the two fsyncs. Under write load that was a third of the
// write path's system time.
//
// The store checkpoints on its own connection instead, in the
// background: every checkpointEvery, when something was committed since
// the last time, a PASSIVE checkpoint copies what no reader still needs
// without taking the write lock or waiting for anyone. The write
// connection's automatic checkpoint stays, at walAutoCheckpoint pages
// (about 32 MiB), as a backstop for when the background one falls behind
// (long readers, a stalled disk); the WAL stays bounded either way.

// checkpointEvery is how often the background checkpoint runs while
// writes happen.
const checkpointEvery = 100 * time.Millisecond

// walAutoCheckpoint is the write connection's wal_autocheckpoint, in
// pages: SQLite's default is 1000.
const walAutoCheckpoint = 8000

// checkpointer runs background checkpoints on db until stop is closed,
// then closes db and closes done.
func (s *Store) checkpointer(db *sql.DB, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer db.Close()
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if n := s.commits.Load(); n != last {
			last = n
			// A failure (a busy file, another process checkpointing)
			// only leaves the pages for the next round or the
			// backstop.
			_, _ = db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}
