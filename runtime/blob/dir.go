package blob

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// Dir is a Store in a local folder: the object under "a/b.png" is the
// file <root>/a/b.png and its content type is kept in <root>/a/.b.png.meta.
// Writes go to a temporary file renamed over the object, so a reader
// never sees a partial object. All access goes through an os.Root, so no
// key can reach outside the folder. Empty folders are left in place when
// their last object is deleted.
type Dir struct {
	root *os.Root
}

var _ Store = (*Dir)(nil)

// NewDir opens (creating it if needed) the folder at path as a store.
// Close releases it.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blob: open folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: open folder: %w", err)
	}
	return &Dir{root: root}, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// dirMeta is the content of a metadata file.
type dirMeta struct {
	ContentType string `json:"content_type"`
}

// metaName returns the name of the metadata file of key.
func metaName(key string) string {
	dir, file := path.Split(key)
	return dir + "." + file + ".meta"
}

// Put writes the object to a temporary file and renames it into place.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if dir := path.Dir(key); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	dataTmp, err := d.writeTemp(key, ctxReader{ctx, r}, size)
	if err != nil {
		return err
	}
	if err := d.putMeta(key, ct); err != nil {
		d.root.Remove(dataTmp)
		return err
	}
	if err := d.root.Rename(dataTmp, key); err != nil {
		d.root.Remove(dataTmp)
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return d.syncDir(key)
}

// putMeta writes the metadata file of key, before the object's file is
// renamed into place: a visible object always has its metadata (for a
// moment, that of the object it replaces). The default content type is
// no metadata file: one file (and one sync) less per object.
func (d *Dir) putMeta(key, ct string) error {
	if ct == "" || ct == DefaultContentType {
		if err := d.root.Remove(metaName(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		return nil
	}
	meta, err := json.Marshal(dirMeta{ContentType: ct})
	if err != nil {
		return err
	}
	metaTmp, err := d.writeTemp(key, strings.NewReader(string(meta)), int64(len(meta)))
	if err != nil {
		return err
	}
	if err := d.root.Rename(metaTmp, metaName(key)); err != nil {
		d.root.Remove(metaTmp)
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// syncDir syncs the folder of key after a rename into it, so that the
// new name survives a crash as the bytes under it do (the file itself
// was synced before the rename).
func (d *Dir) syncDir(key string) error {
	f, err := d.root.Open(path.Dir(key))
	if err != nil {
		return fmt.Errorf("blob: put %s: sync folder: %w", key, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: sync folder: %w", key, err)
	}
	return nil
}

// writeTemp copies r into a new temporary file next to key, syncs it and
// returns its name. It removes the file on failure.
func (d *Dir) writeTemp(key string, r io.Reader, size int64) (name string, err error) {
	tmp := path.Join(path.Dir(key), ".tmp-"+rand.Text())
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	// The cleanup names tmp, not the result: an error return has already
	// set name to "" when deferred functions run.
	defer func() {
		if err != nil {
			f.Close()
			d.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, r)
	if err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return "", errSize(key, size, n)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	return tmp, nil
}

// Get opens the object's file.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidKey(key); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, fmt.Errorf("blob: get %s: %w", key, err)
	}
	f, err := d.root.Open(key)
	if err != nil {
		return nil, Info{}, d.fileErr("get", key, err)
	}
	info, err := d.info(key, f.Stat)
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

// Stat returns the object's info.
func (d *Dir) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return d.info(key, func() (fs.FileInfo, error) { return d.root.Stat(key) })
}

// info builds the Info of key from its file info and metadata file.
func (d *Dir) info(key string, stat func() (fs.FileInfo, error)) (Info, error) {
	fi, err := stat()
	if err != nil {
		return Info{}, d.fileErr("stat", key, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, ErrNotFound)
	}
	info := Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC(), ContentType: DefaultContentType}
	raw, err := d.root.ReadFile(metaName(key))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	default:
		var m dirMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			return Info{}, fmt.Errorf("blob: stat %s: metadata: %w", key, err)
		}
		info.ContentType = contentType(m.ContentType)
	}
	return info, nil
}

// fileErr wraps a file error, mapping a missing file (or a folder in the
// way) to ErrNotFound.
func (d *Dir) fileErr(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: %s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s: %w", op, key, err)
}

// Delete removes the object and its metadata file.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	for _, name := range []string{key, metaName(key)} {
		if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: delete %s: %w", key, err)
		}
	}
	return nil
}

// List walks the folder of prefix and reports the objects under it.
// Temporary and metadata files (names starting with ".") are skipped.
func (d *Dir) List(ctx context.Context, prefix string, fn func(Info) error) error {
	// Walk only the deepest folder that every matching key is inside.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
		if !fs.ValidPath(start) {
			return nil
		}
	}
	err := fs.WalkDir(d.root.FS(), start, func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if name == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && name != "." {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			// Skip folders that no matching key can be in.
			if name != "." && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		return fn(Info{Key: name, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
	})
	if err != nil {
		return fmt.Errorf("blob: list %q: %w", prefix, err)
	}
	return nil
}

// Touch sets the modification time of the object under key to now, as a
// Put of the same bytes would, without writing them: what keeps a
// content-addressed object that is uploaded again from a collector that
// removes old unreferenced objects.
func (d *Dir) Touch(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: touch %s: %w", key, err)
	}
	now := time.Now()
	if err := d.root.Chtimes(key, now, now); err != nil {
		return d.fileErr("touch", key, err)
	}
	return nil
}

// RemoveTemps removes the temporary files of writes that never finished
// (a crash, a killed process) last written before the given time: the
// spools at the folder's root and the temporary files of Put next to
// their keys. A write in progress writes its file all along, so a
// cutoff well in the past (the files collector's grace period) never
// takes one that is still in use. It returns how many it removed.
func (d *Dir) RemoveTemps(ctx context.Context, before time.Time) (int, error) {
	removed := 0
	err := fs.WalkDir(d.root.FS(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		base := e.Name()
		if e.IsDir() || !(strings.HasPrefix(base, ".spool-") || strings.HasPrefix(base, ".tmp-")) {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.ModTime().Before(before) {
			return nil
		}
		if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("blob: remove temporary files: %w", err)
	}
	return removed, nil
}
