package sqlite

import "github.com/specstar-go/specstar/runtime/resource"

// Groups returns how many transactions committed more than one Update
// call.
func (s *Store) Groups() int64 { return s.groups.Load() }

// Queued returns how many Update calls wait for the write connection.
func (s *Store) Queued() int {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return len(s.queue)
}

// EndTransaction ends the SQLite transaction under w behind the back of
// database/sql, as an I/O error or a full disk can: the statements that
// follow in the same transaction fail.
func EndTransaction(w resource.Writer) error {
	_, err := w.(*txn).tx.Exec(`ROLLBACK`)
	return err
}
