package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/migrate"
)

// migrateStorage brings the storage to the app's schema: the versioned
// SQL migrations the database has not applied (Backend.Migrate), then
// the data of every resource whose fields or schema version changed
// (resource.MigrateData). It logs each migration it applies: its
// version, what it does, and the time it took.
func migrateStorage(ctx context.Context, b resource.Backend, s *resource.Schema, logger *slog.Logger, o resource.DataMigrationOptions) error {
	ctx = migrate.WithObserver(ctx, func(m *migrate.Migration, took time.Duration) {
		logger.Info("migration applied", "version", m.Version, "file", m.Name, "statements", len(m.Up), "took", took.Round(time.Millisecond).String())
	})
	if err := b.Migrate(ctx, s); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if o.Progress == nil {
		var last time.Time
		o.Progress = func(k *resource.Kind, done, total int) {
			if done < total && time.Since(last) < 5*time.Second {
				return
			}
			last = time.Now()
			logger.Info("migrating data", "resource", k.Name, "records", done, "of", total)
		}
	}
	done, err := resource.MigrateData(ctx, b, s, o)
	for _, m := range done {
		if m.Examined == 0 {
			continue // a new table: nothing was upgraded
		}
		logger.Info("data migration applied", "resource", m.Kind.Name, "schema_version", m.Kind.SchemaVersion,
			"what", m.What, "records", m.Examined, "changed", m.Changed, "took", m.Took.Round(time.Millisecond).String())
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// runMigrate runs the migrate subcommand: it applies the pending SQL
// migrations and upgrades the current data of every resource (all of
// it, so that records an older build wrote meanwhile are brought up to
// date too), printing progress on stderr, and exits without serving.
// Run it before starting a new build on a large database, or after a
// rolling deploy (docs/migrations.md).
func runMigrate(ctx context.Context, cfg Config, app App, args []string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "error: migrate takes no arguments, got %q\n", args)
		return ExitUsage
	}
	level, _ := parseLevel(cfg.LogLevel)
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitUsage
	}
	st, err := openStorage(cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailure
	}
	defer st.backend.Close()
	var last time.Time
	o := resource.DataMigrationOptions{All: true, Progress: func(k *resource.Kind, done, total int) {
		if done < total && time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		fmt.Fprintf(stderr, "%s: %d of %d records (%d%%)\n", k.Name, done, total, pct)
	}}
	start := time.Now()
	if err := migrateStorage(ctx, st.backend, app.Schema(), logger, o); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(stderr, "migrated in %s\n", time.Since(start).Round(time.Millisecond))
	return ExitOK
}
