package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
	"github.com/specstar-go/specstar/runtime/blob"
)

// Config configures a Server. LoadConfig fills it from flags and SPECSTAR_*
// environment variables; New applies the defaults to zero fields, so a
// Config literal in a test needs only what it cares about.
type Config struct {
	Addr        string // SPECSTAR_ADDR, -addr; default ":8080"
	DataDir     string // SPECSTAR_DATA_DIR, -data-dir; default "./data"
	DatabaseURL string // SPECSTAR_DATABASE_URL, -database-url; see below
	BodyLimit   int64  // SPECSTAR_BODY_LIMIT, -body-limit (bytes); default 10 MiB
	// GraphQLBodyLimit bounds a /graphql POST body, WebSocket message and
	// GET document (SPECSTAR_GRAPHQL_BODY_LIMIT, -graphql-body-limit;
	// bytes; default 1 MiB). It is separate from BodyLimit because a
	// GraphQL document costs CPU to parse and validate, and it is capped
	// by BodyLimit, which every request body is held to.
	GraphQLBodyLimit int64
	ReadTimeout      time.Duration // SPECSTAR_READ_TIMEOUT, -read-timeout; default 30s
	WriteTimeout     time.Duration // SPECSTAR_WRITE_TIMEOUT, -write-timeout; default 30s
	ShutdownTimeout  time.Duration // SPECSTAR_SHUTDOWN_TIMEOUT, -shutdown-timeout; default 15s
	LogLevel         string        // SPECSTAR_LOG_LEVEL, -log-level: debug|info|warn|error; default info
	Logger           *slog.Logger  // when nil, a JSON handler on stderr at LogLevel
	// MetricsOff turns off /metrics and the instrumentation behind it
	// (SPECSTAR_METRICS=off, -metrics=off; default on). docs/deploy.md
	// lists the metrics.
	MetricsOff bool
	// JobWorkers bounds how many jobs this instance works at once, over
	// the job types without a concurrency of their own (SPECSTAR_JOB_WORKERS,
	// -job-workers; default 50).
	JobWorkers int
	// JobsOff keeps this instance from working jobs (SPECSTAR_JOBS=off,
	// -jobs=off; default on): it still enqueues, lists, cancels and reruns
	// them, for the instances that work them.
	JobsOff bool
	// JobLease is how long an instance may go without recording that it
	// is alive before the jobs it runs are taken back and retried
	// elsewhere (SPECSTAR_JOB_LEASE, -job-lease; default 30s, at least
	// 1s): the time a job whose server died waits. Instances record it
	// six times per lease.
	JobLease time.Duration

	// S3, when S3.Bucket is set, keeps revision bodies in that bucket
	// (SPECSTAR_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY,
	// _BUCKET, _PREFIX and the matching -s3-* flags); the database named by
	// DatabaseURL (SQLite or PostgreSQL) keeps the meta and the indexes.
	S3 blob.S3Config
	// S3GCInterval is how often the server deletes the S3 objects no
	// revision references any more (SPECSTAR_S3_GC_INTERVAL,
	// -s3-gc-interval; default 1h; S3GCOff, "off" in settings, disables it).
	S3GCInterval time.Duration
	// S3GCMinAge is the age under which GC leaves an unreferenced object
	// alone, because its write may still be in flight
	// (SPECSTAR_S3_GC_MIN_AGE, -s3-gc-min-age; default 1h).
	S3GCMinAge time.Duration

	// AuthSecret holds the secrets that sign access tokens, comma
	// separated, each at least 32 bytes: the first signs, all verify, so
	// a new secret is rotated in by putting it first
	// (SPECSTAR_AUTH_SECRET; no flag, since flags show in ps). Empty: the
	// server generates a key once and stores it in the database, where
	// every instance finds it.
	AuthSecret string
	// TrustedProxies are the networks (CIDRs, comma separated) of the
	// reverse proxies whose X-Forwarded-For names the client
	// (SPECSTAR_TRUSTED_PROXIES, -trusted-proxies). Empty: the client is
	// the peer of the connection, so that a client cannot choose its own
	// address for the access log and the login rate limit.
	TrustedProxies string
}

// DatabaseURL values:
//
//	""                              SQLite in DataDir/specstar.db (the default)
//	"sqlite:PATH", "file:PATH"      SQLite at PATH
//	"memory:"                       in-process memory (lost on exit; no S3)
//	"postgres://…", "postgresql://…" PostgreSQL (pgx URL; pool_max_conns and
//	                                search_path are honoured)

// Defaults of Config.
const (
	DefaultAddr             = ":8080"
	DefaultDataDir          = "./data"
	DefaultBodyLimit        = 10 << 20
	DefaultGraphQLBodyLimit = 1 << 20
	DefaultReadTimeout      = 30 * time.Second
	DefaultWriteTimeout     = 30 * time.Second
	DefaultShutdownTimeout  = 15 * time.Second
	DefaultLogLevel         = "info"
	DefaultS3GCInterval     = time.Hour
	DefaultS3GCMinAge       = time.Hour
	DefaultJobWorkers       = 50
	DefaultJobLease         = 30 * time.Second
)

// S3GCOff as Config.S3GCInterval disables the periodic S3 GC (say on all
// instances of a deployment but one).
const S3GCOff time.Duration = -1

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
	if c.GraphQLBodyLimit == 0 {
		c.GraphQLBodyLimit = DefaultGraphQLBodyLimit
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
	if c.S3GCInterval == 0 {
		c.S3GCInterval = DefaultS3GCInterval
	}
	if c.S3GCMinAge == 0 {
		c.S3GCMinAge = DefaultS3GCMinAge
	}
	if c.JobWorkers == 0 {
		c.JobWorkers = DefaultJobWorkers
	}
	if c.JobLease == 0 {
		c.JobLease = DefaultJobLease
	}
	return c
}

// validate reports the first invalid setting.
func (c Config) validate() error {
	if c.BodyLimit <= 0 {
		return fmt.Errorf("body limit must be positive, got %d", c.BodyLimit)
	}
	if c.GraphQLBodyLimit <= 0 {
		return fmt.Errorf("GraphQL body limit must be positive, got %d", c.GraphQLBodyLimit)
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
	if c.JobWorkers < 0 {
		return fmt.Errorf("job workers must be positive, got %d", c.JobWorkers)
	}
	if c.JobLease < time.Second {
		return fmt.Errorf("job lease must be at least 1s, got %s", c.JobLease)
	}
	db, err := parseDatabaseURL(c.DatabaseURL)
	if err != nil {
		return err
	}
	if _, err := c.trustedNets(); err != nil {
		return err
	}
	for i, secret := range c.authSecrets() {
		if len(secret) < auth.MinSecretLen {
			return fmt.Errorf("SPECSTAR_AUTH_SECRET: secret %d has %d bytes; each needs at least %d (generate one with: openssl rand -base64 48)", i+1, len(secret), auth.MinSecretLen)
		}
	}
	return c.validateS3(db)
}

// s3Settings names the S3 settings other than the bucket, for messages.
var s3Settings = []struct {
	env  string
	flag string
	get  func(*blob.S3Config) string
}{
	{"SPECSTAR_S3_ENDPOINT", "-s3-endpoint", func(c *blob.S3Config) string { return c.Endpoint }},
	{"SPECSTAR_S3_REGION", "-s3-region", func(c *blob.S3Config) string { return c.Region }},
	{"SPECSTAR_S3_ACCESS_KEY_ID", "-s3-access-key-id", func(c *blob.S3Config) string { return c.AccessKeyID }},
	{"SPECSTAR_S3_SECRET_ACCESS_KEY", "-s3-secret-access-key", func(c *blob.S3Config) string { return c.SecretAccessKey }},
	{"SPECSTAR_S3_PREFIX", "-s3-prefix", func(c *blob.S3Config) string { return c.Prefix }},
}

// validateS3 checks the S3 settings and how they combine with the
// database db.
func (c Config) validateS3(db database) error {
	if c.S3GCInterval <= 0 && c.S3GCInterval != S3GCOff {
		return fmt.Errorf("S3 GC interval must be positive or off, got %s", c.S3GCInterval)
	}
	if c.S3GCMinAge <= 0 {
		return fmt.Errorf("S3 GC minimum age must be positive, got %s", c.S3GCMinAge)
	}
	if c.S3.Bucket == "" {
		for _, s := range s3Settings {
			if s.get(&c.S3) != "" {
				return fmt.Errorf("%s (%s) is set but the S3 bucket is not: set SPECSTAR_S3_BUCKET (-s3-bucket) to keep revision bodies in S3, or unset the S3 settings", s.env, s.flag)
			}
		}
		return nil
	}
	if db.kind == dbMemory {
		return errors.New(`S3 storage needs a persistent database for its index: SPECSTAR_DATABASE_URL is "memory:"; use SQLite or PostgreSQL, or unset SPECSTAR_S3_BUCKET`)
	}
	if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		return errors.New("set both SPECSTAR_S3_ACCESS_KEY_ID and SPECSTAR_S3_SECRET_ACCESS_KEY (-s3-access-key-id, -s3-secret-access-key), or neither for anonymous requests")
	}
	if e := c.S3.Endpoint; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return fmt.Errorf("SPECSTAR_S3_ENDPOINT %q is not an http:// or https:// URL", e)
	}
	if p := strings.Trim(c.S3.Prefix, "/"); p != "" {
		if err := blob.ValidKey(p); err != nil {
			return fmt.Errorf("SPECSTAR_S3_PREFIX %q is not a valid key prefix (slash-separated names, no \".\" or \"..\" elements)", c.S3.Prefix)
		}
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
	cfg, rest, err := loadConfig(args, getenv)
	if err == nil && len(rest) > 0 {
		err = &FlagError{Err: fmt.Errorf("unexpected argument %q", rest[0])}
	}
	if err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// loadConfig is LoadConfig that returns the arguments after the flags
// (a subcommand and its arguments) instead of refusing them.
func loadConfig(args []string, getenv func(string) string) (Config, []string, error) {
	cfg := Config{}.withDefaults()
	if err := cfg.loadEnv(getenv); err != nil {
		return Config{}, nil, err
	}
	fs := newFlagSet(&cfg)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, &FlagError{Err: err}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, nil, err
	}
	return cfg, fs.Args(), nil
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
		{"SPECSTAR_S3_ENDPOINT", &c.S3.Endpoint},
		{"SPECSTAR_S3_REGION", &c.S3.Region},
		{"SPECSTAR_S3_ACCESS_KEY_ID", &c.S3.AccessKeyID},
		{"SPECSTAR_S3_SECRET_ACCESS_KEY", &c.S3.SecretAccessKey},
		{"SPECSTAR_S3_BUCKET", &c.S3.Bucket},
		{"SPECSTAR_S3_PREFIX", &c.S3.Prefix},
		{"SPECSTAR_AUTH_SECRET", &c.AuthSecret},
		{"SPECSTAR_TRUSTED_PROXIES", &c.TrustedProxies},
	}
	for _, s := range strs {
		if v := getenv(s.name); v != "" {
			*s.dst = v
		}
	}
	for _, b := range []struct {
		name string
		dst  *int64
	}{{"SPECSTAR_BODY_LIMIT", &c.BodyLimit}, {"SPECSTAR_GRAPHQL_BODY_LIMIT", &c.GraphQLBodyLimit}} {
		v := getenv(b.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: invalid number of bytes %q", b.name, v)
		}
		*b.dst = n
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"SPECSTAR_READ_TIMEOUT", &c.ReadTimeout},
		{"SPECSTAR_WRITE_TIMEOUT", &c.WriteTimeout},
		{"SPECSTAR_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
		{"SPECSTAR_S3_GC_MIN_AGE", &c.S3GCMinAge},
		{"SPECSTAR_JOB_LEASE", &c.JobLease},
	}
	if v := getenv("SPECSTAR_S3_GC_INTERVAL"); v != "" {
		d, err := parseGCInterval(v)
		if err != nil {
			return fmt.Errorf("SPECSTAR_S3_GC_INTERVAL: %w", err)
		}
		c.S3GCInterval = d
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
	if v := getenv("SPECSTAR_METRICS"); v != "" {
		on, err := parseOnOff(v)
		if err != nil {
			return fmt.Errorf("SPECSTAR_METRICS: %w", err)
		}
		c.MetricsOff = !on
	}
	if v := getenv("SPECSTAR_JOBS"); v != "" {
		on, err := parseOnOff(v)
		if err != nil {
			return fmt.Errorf("SPECSTAR_JOBS: %w", err)
		}
		c.JobsOff = !on
	}
	if v := getenv("SPECSTAR_JOB_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("SPECSTAR_JOB_WORKERS: invalid number %q (a positive integer)", v)
		}
		c.JobWorkers = n
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
		`storage: "" (SQLite in the data dir), "sqlite:PATH", "file:PATH", "postgres://..." or "memory:" (SPECSTAR_DATABASE_URL)`)
	fs.Int64Var(&c.BodyLimit, "body-limit", c.BodyLimit, "maximum request body size in bytes (SPECSTAR_BODY_LIMIT)")
	fs.Int64Var(&c.GraphQLBodyLimit, "graphql-body-limit", c.GraphQLBodyLimit,
		"maximum size in bytes of a GraphQL request body, WebSocket message or GET document (SPECSTAR_GRAPHQL_BODY_LIMIT)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "maximum time to read a request (SPECSTAR_READ_TIMEOUT)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "maximum time to write a response (SPECSTAR_WRITE_TIMEOUT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout,
		"time in-flight requests get to finish on shutdown (SPECSTAR_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error (SPECSTAR_LOG_LEVEL)")
	fs.Var((*metricsOffFlag)(&c.MetricsOff), "metrics", `serve Prometheus metrics at /metrics: "on" or "off" (SPECSTAR_METRICS)`)
	fs.Var((*metricsOffFlag)(&c.JobsOff), "jobs", `work background jobs on this instance: "on" or "off" (SPECSTAR_JOBS)`)
	fs.IntVar(&c.JobWorkers, "job-workers", c.JobWorkers, "how many jobs this instance works at once (SPECSTAR_JOB_WORKERS)")
	fs.DurationVar(&c.JobLease, "job-lease", c.JobLease,
		"how long a silent instance keeps its running jobs before others take them back (SPECSTAR_JOB_LEASE)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies,
		"CIDRs of reverse proxies whose X-Forwarded-For names the client, comma separated (SPECSTAR_TRUSTED_PROXIES)")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", c.S3.Bucket, "keep revision bodies in this S3 bucket (SPECSTAR_S3_BUCKET)")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", c.S3.Endpoint,
		"S3-compatible service URL, e.g. http://127.0.0.1:9000; empty for AWS (SPECSTAR_S3_ENDPOINT)")
	fs.StringVar(&c.S3.Region, "s3-region", c.S3.Region, "S3 signing region; empty for us-east-1 (SPECSTAR_S3_REGION)")
	fs.StringVar(&c.S3.AccessKeyID, "s3-access-key-id", c.S3.AccessKeyID, "S3 access key id (SPECSTAR_S3_ACCESS_KEY_ID)")
	fs.StringVar(&c.S3.SecretAccessKey, "s3-secret-access-key", c.S3.SecretAccessKey,
		"S3 secret access key; prefer the variable, which ps does not show (SPECSTAR_S3_SECRET_ACCESS_KEY)")
	fs.StringVar(&c.S3.Prefix, "s3-prefix", c.S3.Prefix, "key prefix (folder) of every object in the bucket (SPECSTAR_S3_PREFIX)")
	fs.Var((*gcIntervalFlag)(&c.S3GCInterval), "s3-gc-interval",
		`how often to delete unreferenced S3 objects, or "off" (SPECSTAR_S3_GC_INTERVAL)`)
	fs.DurationVar(&c.S3GCMinAge, "s3-gc-min-age", c.S3GCMinAge,
		"minimum age of an unreferenced S3 object before GC deletes it (SPECSTAR_S3_GC_MIN_AGE)")
	return fs
}

// parseGCInterval parses an S3GCInterval setting: a positive Go duration
// or "off".
func parseGCInterval(s string) (time.Duration, error) {
	if strings.EqualFold(s, "off") {
		return S3GCOff, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf(`invalid interval %q (use a positive Go duration such as 1h, or "off")`, s)
	}
	return d, nil
}

// gcIntervalFlag is the flag.Value of -s3-gc-interval.
type gcIntervalFlag time.Duration

// String returns the flag's value as it is written.
func (f *gcIntervalFlag) String() string {
	if time.Duration(*f) == S3GCOff {
		return "off"
	}
	return time.Duration(*f).String()
}

// Set parses a flag value.
func (f *gcIntervalFlag) Set(s string) error {
	d, err := parseGCInterval(s)
	if err != nil {
		return err
	}
	*f = gcIntervalFlag(d)
	return nil
}

// parseOnOff parses an on/off setting: "on" or "off", or a value
// strconv.ParseBool accepts ("true", "0", …).
func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf(`invalid value %q (use "on" or "off")`, s)
	}
	return b, nil
}

// metricsOffFlag is the flag.Value of -metrics, over Config.MetricsOff,
// and of -jobs, over Config.JobsOff. It is a boolean flag: -metrics alone
// means on.
type metricsOffFlag bool

// String returns the flag's value as it is written.
func (f *metricsOffFlag) String() string {
	if *f {
		return "off"
	}
	return "on"
}

// Set parses a flag value.
func (f *metricsOffFlag) Set(s string) error {
	on, err := parseOnOff(s)
	if err != nil {
		return err
	}
	*f = metricsOffFlag(!on)
	return nil
}

// IsBoolFlag makes -metrics without a value mean -metrics=true.
func (f *metricsOffFlag) IsBoolFlag() bool { return true }

// printUsage writes the flag documentation to w.
func printUsage(w io.Writer) {
	cfg := Config{}.withDefaults()
	fs := newFlagSet(&cfg)
	fs.SetOutput(w)
	prog := filepath.Base(os.Args[0])
	fmt.Fprintf(w, "Usage:\n  %s [flags]                  serve the API\n", prog)
	fmt.Fprintf(w, "  %s [flags] migrate          apply pending migrations, upgrade every record's data, and exit\n", prog)
	fmt.Fprintf(w, "  %s [flags] users create EMAIL --role ROLE [--name NAME]   (password on stdin)\n", prog)
	fmt.Fprintf(w, "  %s [flags] users set-password EMAIL                       (password on stdin)\n", prog)
	fmt.Fprintf(w, "  %s [flags] users list\n", prog)
	fmt.Fprintf(w, "  %s [flags] backup --out FILE       write every resource, its history and its files to FILE (gzip NDJSON)\n", prog)
	fmt.Fprintf(w, "  %s [flags] restore --in FILE       restore a backup into an empty store\n", prog)
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

// trustedNets parses TrustedProxies.
func (c Config) trustedNets() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for part := range strings.SplitSeq(c.TrustedProxies, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("SPECSTAR_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// ipExtractor returns how the server finds a request's client address:
// the connection's peer, or with TrustedProxies the X-Forwarded-For
// address added by the nearest untrusted hop.
func (c Config) ipExtractor() echo.IPExtractor {
	nets, _ := c.trustedNets() // validated
	if len(nets) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range nets {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
