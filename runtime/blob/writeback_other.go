//go:build !linux

package blob

import "os"

// startWriteback does nothing outside Linux: the Sync that commits a
// spool writes its bytes.
func startWriteback(f *os.File, off, n int64) {}
