package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config configures a Server. LoadConfig fills it from flags and SPECSTAR_*
// environment variables; New applies the defaults to zero fields, so a
// Config literal in a test needs only what it cares about.
type Config struct {
	Addr            string        // SPECSTAR_ADDR, -addr; default ":8080"
	DataDir         string        // SPECSTAR_DATA_DIR, -data-dir; default "./data"
	DatabaseURL     string        // SPECSTAR_DATABASE_URL, -database-url; "" = SQLite in DataDir, "memory:" = memory
	BodyLimit       int64         // SPECSTAR_BODY_LIMIT, -body-limit (bytes); default 10 MiB
	ReadTimeout     time.Duration // SPECSTAR_READ_TIMEOUT, -read-timeout; default 30s
	WriteTimeout    time.Duration // SPECSTAR_WRITE_TIMEOUT, -write-timeout; default 30s
	ShutdownTimeout time.Duration // SPECSTAR_SHUTDOWN_TIMEOUT, -shutdown-timeout; default 15s
	LogLevel        string        // SPECSTAR_LOG_LEVEL, -log-level: debug|info|warn|error; default info
	Logger          *slog.Logger  // when nil, a JSON handler on stderr at LogLevel
}

// Defaults of Config.
const (
	DefaultAddr            = ":8080"
	DefaultDataDir         = "./data"
	DefaultBodyLimit       = 10 << 20
	DefaultReadTimeout     = 30 * time.Second
	DefaultWriteTimeout    = 30 * time.Second
	DefaultShutdownTimeout = 15 * time.Second
	DefaultLogLevel        = "info"
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	return c
}

// validate reports the first invalid setting.
func (c Config) validate() error {
	if c.BodyLimit <= 0 {
		return fmt.Errorf("body limit must be positive, got %d", c.BodyLimit)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read timeout", c.ReadTimeout}, {"write timeout", c.WriteTimeout}, {"shutdown timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			return fmt.Errorf("%s must be positive, got %s", d.name, d.v)
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	return nil
}

// FlagError is returned by LoadConfig for a mistake in the command-line
// arguments (as opposed to the environment). Main prints the usage for
// it. Err is flag.ErrHelp when -h or -help was given.
type FlagError struct {
	Err error
}

// Error returns the message of the underlying error.
func (e *FlagError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FlagError) Unwrap() error { return e.Err }

// LoadConfig reads the configuration: defaults, then the SPECSTAR_*
// variables from getenv, then the flags in args (without the program
// name), each overriding the previous. Errors name the variable or flag
// and the bad value; flag mistakes are a *FlagError.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	cfg := Config{}.withDefaults()
	if err := cfg.loadEnv(getenv); err != nil {
		return Config{}, err
	}
	fs := newFlagSet(&cfg)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return Config{}, &FlagError{Err: err}
	}
	if fs.NArg() > 0 {
		return Config{}, &FlagError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// loadEnv overrides c with the SPECSTAR_* variables that are set.
func (c *Config) loadEnv(getenv func(string) string) error {
	strs := []struct {
		name string
		dst  *string
	}{
		{"SPECSTAR_ADDR", &c.Addr},
		{"SPECSTAR_DATA_DIR", &c.DataDir},
		{"SPECSTAR_DATABASE_URL", &c.DatabaseURL},
		{"SPECSTAR_LOG_LEVEL", &c.LogLevel},
	}
	for _, s := range strs {
		if v := getenv(s.name); v != "" {
			*s.dst = v
		}
	}
	if v := getenv("SPECSTAR_BODY_LIMIT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("SPECSTAR_BODY_LIMIT: invalid number of bytes %q", v)
		}
		c.BodyLimit = n
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"SPECSTAR_READ_TIMEOUT", &c.ReadTimeout},
		{"SPECSTAR_WRITE_TIMEOUT", &c.WriteTimeout},
		{"SPECSTAR_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		t, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: invalid duration %q (use a Go duration such as 30s or 1m)", d.name, v)
		}
		*d.dst = t
	}
	return nil
}

// newFlagSet defines the flags over c, with c's current values as their
// defaults.
func newFlagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (SPECSTAR_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of the default SQLite database (SPECSTAR_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL,
		`storage: "" (SQLite in the data dir), "memory:", "sqlite:PATH" or "file:PATH" (SPECSTAR_DATABASE_URL)`)
	fs.Int64Var(&c.BodyLimit, "body-limit", c.BodyLimit, "maximum request body size in bytes (SPECSTAR_BODY_LIMIT)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "maximum time to read a request (SPECSTAR_READ_TIMEOUT)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "maximum time to write a response (SPECSTAR_WRITE_TIMEOUT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout,
		"time in-flight requests get to finish on shutdown (SPECSTAR_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error (SPECSTAR_LOG_LEVEL)")
	return fs
}

// printUsage writes the flag documentation to w.
func printUsage(w io.Writer) {
	cfg := Config{}.withDefaults()
	fs := newFlagSet(&cfg)
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: [flags]")
	fmt.Fprintln(w, "Flags override the SPECSTAR_* environment variables.")
	fs.PrintDefaults()
}

// parseLevel parses a LogLevel value.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level must be debug, info, warn or error, got %q", s)
}

// isHelp reports whether err asks for the usage.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }
