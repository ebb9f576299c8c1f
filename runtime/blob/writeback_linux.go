package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing the n bytes at off of
// f to the disk, without waiting for them: the Sync that commits a spool
// then finds most of its bytes on their way, so that the disk writes
// overlap the upload instead of following it (and the page cache does
// not fill with the dirty pages of one large upload). It is a hint:
// errors are ignored, the Sync is what guarantees durability.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
