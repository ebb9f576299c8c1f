package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/resource"
)

// runBackup runs the backup subcommand: backup --out FILE writes a
// gzip-compressed archive (docs/backup.md) of every resource with its
// whole history and the bytes of every file a revision references, read
// in one transaction. FILE appears only when the archive is complete.
func runBackup(ctx context.Context, cfg Config, app App, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the archive file to write (gzip-compressed NDJSON)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "error: usage: backup --out FILE")
		return ExitUsage
	}
	srv, code := openForBackup(cfg, app, stderr)
	if srv == nil {
		return code
	}
	err := srv.backup(ctx, *out, stderr)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: backup: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// runRestore runs the restore subcommand: restore --in FILE writes an
// archive into an empty store, in one transaction, with its file bytes.
func runRestore(ctx context.Context, cfg Config, app App, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the archive file to read (as backup writes it; plain NDJSON is read too)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *in == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "error: usage: restore --in FILE")
		return ExitUsage
	}
	srv, code := openForBackup(cfg, app, stderr)
	if srv == nil {
		return code
	}
	err := srv.restore(ctx, *in, stderr)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: restore: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// openForBackup opens the server's storage for a backup or a restore,
// logging at warn level (progress goes to stderr on its own).
func openForBackup(cfg Config, app App, stderr io.Writer) (*Server, int) {
	level, _ := parseLevel(cfg.LogLevel)
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: max(level, slog.LevelWarn)}))
	srv, err := newServer(cfg, app, true)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return nil, ExitFailure
	}
	return srv, ExitOK
}

// backupFiles returns where file bytes are: the files blob store of an
// app with file fields (the folder files/ of the data directory, or S3
// under the configured prefix), nil for an app without them.
func (s *Server) backupFiles() (backup.Files, error) {
	return backup.FilesOf(s.svc), nil
}

// backup writes the archive of every kind to path, through a temporary
// file renamed at the end.
func (s *Server) backup(ctx context.Context, path string, stderr io.Writer) (err error) {
	files, err := s.backupFiles()
	if err != nil {
		return err
	}
	ctx = resource.AsSystem(ctx)
	total := 0
	for _, k := range s.schema.Kinds {
		n, err := s.svc.Count(ctx, k, resource.ListQuery{IncludeDeleted: true})
		if err != nil {
			return err
		}
		total += n
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := gzip.NewWriter(tmp)
	p := newProgress(stderr, "backup", int64(total), "resources")
	start := time.Now()
	end, err := backup.Export(ctx, s.svc, zw, backup.ExportOptions{
		Kinds: s.schema.Kinds, Scope: backup.ScopeBackend, Files: files,
		Progress: func(pr backup.Progress) { p.set(int64(pr.Resources), pr) },
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	p.done()
	fmt.Fprintf(stderr, "backup: wrote %s: %d resources, %d revisions, %d files in %s\n",
		path, end.Resources, end.Revisions, end.Files, time.Since(start).Round(time.Millisecond))
	return nil
}

// restore reads the archive at path into the store, which must be empty.
func (s *Server) restore(ctx context.Context, path string, stderr io.Writer) error {
	files, err := s.backupFiles()
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	p := newProgress(stderr, "restore", info.Size(), "bytes")
	cr := &countingReader{r: f}
	start := time.Now()
	stats, err := backup.Import(resource.AsSystem(ctx), s.svc, cr, backup.ImportOptions{
		Kinds: s.schema.Kinds, Empty: true, Files: files, OnDuplicate: resource.DuplicateFail,
		Validate: validateData,
		Progress: func(pr backup.Progress) { p.set(cr.n, pr) },
	})
	if err != nil {
		var re *resource.Error
		if errors.As(err, &re) {
			detail := re.Detail
			for _, fe := range re.Fields {
				detail += "; " + fe.Field + ": " + fe.Message
			}
			return fmt.Errorf("%s: %s (nothing was written)", path, detail)
		}
		return fmt.Errorf("%s: %w (nothing was written)", path, err)
	}
	p.done()
	fmt.Fprintf(stderr, "restore: read %s: %d resources, %d revisions in %s\n",
		path, stats.Resources, stats.Revisions, time.Since(start).Round(time.Millisecond))
	return nil
}

// validateData checks data of kind k with the kind's typed decoder (the
// one of its REST import route), so that a restore refuses what an import
// refuses before anything is written.
func validateData(k *resource.Kind, data json.RawMessage) error {
	if k.Decode == nil {
		return nil
	}
	_, err := k.Decode(data)
	return err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress shows how far a backup or restore is: a progress bar on a
// terminal, else a plain line every few seconds (logs, CI).
type progress struct {
	w     io.Writer
	what  string
	unit  string
	total int64
	bar   *progressbar.ProgressBar // nil when stderr is not a terminal
	last  time.Time
}

func newProgress(w io.Writer, what string, total int64, unit string) *progress {
	p := &progress{w: w, what: what, unit: unit, total: total, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
		}
		if unit == "bytes" {
			opts = append(opts, progressbar.OptionShowBytes(true))
		}
		p.bar = progressbar.NewOptions64(max(total, 1), opts...)
	}
	return p
}

// set reports done units of the total.
func (p *progress) set(done int64, pr backup.Progress) {
	if p.bar != nil {
		p.bar.Set64(min(done, p.total))
		return
	}
	if time.Since(p.last) < 2*time.Second {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "%s: %d of %d %s (%d resources, %d revisions, %d files)\n",
		p.what, done, p.total, p.unit, pr.Resources, pr.Revisions, pr.Files)
}

// done ends the bar.
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
