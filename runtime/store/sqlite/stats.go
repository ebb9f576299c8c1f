package sqlite

import "database/sql"

// DBStats returns the database/sql statistics of the store's two pools,
// for monitoring (package metrics reads them at each scrape): write, the
// one write connection (Update calls queue for it in the group commit of
// batch.go before they reach the pool), and read, the read-only pool of
// View and point reads.
func (s *Store) DBStats() (write, read sql.DBStats) {
	return s.write.Stats(), s.read.Stats()
}
