package server

import (
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
)

func TestLoadConfig(t *testing.T) {
	defaults := Config{Addr: ":8080", DataDir: "./data", BodyLimit: 10 << 20, GraphQLBodyLimit: 1 << 20, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ShutdownTimeout: 15 * time.Second, LogLevel: "info",
		S3GCInterval: time.Hour, S3GCMinAge: time.Hour, JobWorkers: 50, JobLease: 30 * time.Second}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		want        Config
		wantErr     string // substring of the error; "" for success
		wantFlagErr bool
	}{
		{name: "defaults", want: defaults},
		{name: "env", env: map[string]string{
			"SPECSTAR_ADDR": "127.0.0.1:9000", "SPECSTAR_DATA_DIR": "/var/lib/x", "SPECSTAR_DATABASE_URL": "memory:",
			"SPECSTAR_BODY_LIMIT": "1024", "SPECSTAR_READ_TIMEOUT": "5s", "SPECSTAR_WRITE_TIMEOUT": "1m",
			"SPECSTAR_SHUTDOWN_TIMEOUT": "2s", "SPECSTAR_LOG_LEVEL": "debug", "SPECSTAR_GRAPHQL_BODY_LIMIT": "512"},
			want: Config{Addr: "127.0.0.1:9000", DataDir: "/var/lib/x", DatabaseURL: "memory:", BodyLimit: 1024, GraphQLBodyLimit: 512,
				ReadTimeout: 5 * time.Second, WriteTimeout: time.Minute, ShutdownTimeout: 2 * time.Second, LogLevel: "debug",
				S3GCInterval: time.Hour, S3GCMinAge: time.Hour, JobWorkers: 50, JobLease: 30 * time.Second}},
		{name: "flags", args: []string{"-addr", ":1", "-data-dir=d", "-database-url", "sqlite:x.db", "-body-limit", "5",
			"-read-timeout", "1s", "-write-timeout", "2s", "-shutdown-timeout", "3s", "-log-level", "warn", "-graphql-body-limit", "4"},
			want: Config{Addr: ":1", DataDir: "d", DatabaseURL: "sqlite:x.db", BodyLimit: 5, GraphQLBodyLimit: 4, ReadTimeout: time.Second,
				WriteTimeout: 2 * time.Second, ShutdownTimeout: 3 * time.Second, LogLevel: "warn",
				S3GCInterval: time.Hour, S3GCMinAge: time.Hour, JobWorkers: 50, JobLease: 30 * time.Second}},
		{name: "flag overrides env", env: map[string]string{"SPECSTAR_ADDR": ":7000", "SPECSTAR_READ_TIMEOUT": "9s"},
			args: []string{"--addr=:7001"},
			want: with(func(c *Config) { c.Addr = ":7001"; c.ReadTimeout = 9 * time.Second })},
		{name: "empty env is unset", env: map[string]string{"SPECSTAR_ADDR": ""}, want: defaults},
		{name: "bad env duration", env: map[string]string{"SPECSTAR_WRITE_TIMEOUT": "soon"},
			wantErr: `SPECSTAR_WRITE_TIMEOUT: invalid duration "soon"`},
		{name: "bad env number", env: map[string]string{"SPECSTAR_BODY_LIMIT": "10MB"},
			wantErr: `SPECSTAR_BODY_LIMIT: invalid number of bytes "10MB"`},
		{name: "bad flag duration", args: []string{"-read-timeout", "x"}, wantErr: `invalid value "x" for flag -read-timeout`, wantFlagErr: true},
		{name: "bad flag number", args: []string{"-body-limit", "big"}, wantErr: `invalid value "big" for flag -body-limit`, wantFlagErr: true},
		{name: "unknown flag", args: []string{"-port", "1"}, wantErr: "flag provided but not defined: -port", wantFlagErr: true},
		{name: "positional argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`, wantFlagErr: true},
		{name: "help", args: []string{"-h"}, wantErr: "help requested", wantFlagErr: true},
		{name: "zero body limit", args: []string{"-body-limit", "0"}, wantErr: "body limit must be positive"},
		{name: "bad GraphQL body limit", env: map[string]string{"SPECSTAR_GRAPHQL_BODY_LIMIT": "1MiB"},
			wantErr: `SPECSTAR_GRAPHQL_BODY_LIMIT: invalid number of bytes "1MiB"`},
		{name: "negative GraphQL body limit", args: []string{"-graphql-body-limit", "-1"}, wantErr: "GraphQL body limit must be positive"},
		{name: "negative timeout", env: map[string]string{"SPECSTAR_SHUTDOWN_TIMEOUT": "-1s"}, wantErr: "shutdown timeout must be positive"},
		{name: "bad log level", env: map[string]string{"SPECSTAR_LOG_LEVEL": "loud"}, wantErr: `log level must be debug, info, warn or error, got "loud"`},
		{name: "log level is case-insensitive", args: []string{"-log-level", "ERROR"}, want: with(func(c *Config) { c.LogLevel = "ERROR" })},

		// Databases.
		{name: "postgres url", env: map[string]string{"SPECSTAR_DATABASE_URL": "postgres://app@db:5432/app?sslmode=disable"},
			want: with(func(c *Config) { c.DatabaseURL = "postgres://app@db:5432/app?sslmode=disable" })},
		{name: "postgresql url", args: []string{"-database-url", "postgresql://db/app"},
			want: with(func(c *Config) { c.DatabaseURL = "postgresql://db/app" })},
		{name: "file url", args: []string{"-database-url", "file:/srv/app.db"}, want: with(func(c *Config) { c.DatabaseURL = "file:/srv/app.db" })},
		{name: "jobs", args: []string{"-jobs=off", "-job-workers", "8", "-job-lease", "10s"},
			want: with(func(c *Config) { c.JobsOff, c.JobWorkers, c.JobLease = true, 8, 10*time.Second })},
		{name: "jobs from the environment", env: map[string]string{"SPECSTAR_JOBS": "off", "SPECSTAR_JOB_WORKERS": "3", "SPECSTAR_JOB_LEASE": "2m"},
			want: with(func(c *Config) { c.JobsOff, c.JobWorkers, c.JobLease = true, 3, 2*time.Minute })},
		{name: "job lease too short", args: []string{"-job-lease", "10ms"}, wantErr: "job lease must be at least 1s"},
		{name: "database flag overrides env", env: map[string]string{"SPECSTAR_DATABASE_URL": "postgres://db/app"},
			args: []string{"-database-url", "memory:"}, want: with(func(c *Config) { c.DatabaseURL = "memory:" })},
		{name: "unsupported database", env: map[string]string{"SPECSTAR_DATABASE_URL": "mysql://u:secret@db/app"},
			wantErr: `unsupported database URL "mysql://u:xxxxx@db/app"`},
		{name: "empty sqlite path", args: []string{"-database-url", "sqlite:"}, wantErr: `database URL "sqlite:" has an empty path`},

		// S3.
		{name: "s3 env", env: map[string]string{"SPECSTAR_S3_ENDPOINT": "http://127.0.0.1:9000", "SPECSTAR_S3_BUCKET": "b",
			"SPECSTAR_S3_REGION": "eu-west-1", "SPECSTAR_S3_ACCESS_KEY_ID": "k", "SPECSTAR_S3_SECRET_ACCESS_KEY": "s",
			"SPECSTAR_S3_PREFIX": "app/prod", "SPECSTAR_S3_GC_INTERVAL": "30m", "SPECSTAR_S3_GC_MIN_AGE": "2h"},
			want: with(func(c *Config) {
				c.S3 = blob.S3Config{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", AccessKeyID: "k",
					SecretAccessKey: "s", Bucket: "b", Prefix: "app/prod"}
				c.S3GCInterval, c.S3GCMinAge = 30*time.Minute, 2*time.Hour
			})},
		{name: "s3 flags", args: []string{"-s3-endpoint", "https://s3.example.com", "-s3-bucket", "b", "-s3-region", "r",
			"-s3-access-key-id", "k", "-s3-secret-access-key", "s", "-s3-prefix", "p", "-s3-gc-interval", "10m", "-s3-gc-min-age", "5m"},
			want: with(func(c *Config) {
				c.S3 = blob.S3Config{Endpoint: "https://s3.example.com", Region: "r", AccessKeyID: "k", SecretAccessKey: "s", Bucket: "b", Prefix: "p"}
				c.S3GCInterval, c.S3GCMinAge = 10*time.Minute, 5*time.Minute
			})},
		{name: "s3 flags override env", env: map[string]string{"SPECSTAR_S3_BUCKET": "env", "SPECSTAR_S3_PREFIX": "env-prefix",
			"SPECSTAR_S3_GC_INTERVAL": "off"},
			args: []string{"-s3-bucket", "flag", "-s3-gc-interval", "2h"},
			want: with(func(c *Config) {
				c.S3 = blob.S3Config{Bucket: "flag", Prefix: "env-prefix"}
				c.S3GCInterval = 2 * time.Hour
			})},
		{name: "s3 over postgres", env: map[string]string{"SPECSTAR_DATABASE_URL": "postgres://db/app", "SPECSTAR_S3_BUCKET": "b"},
			want: with(func(c *Config) { c.DatabaseURL = "postgres://db/app"; c.S3.Bucket = "b" })},
		{name: "s3 over default sqlite, anonymous, aws", env: map[string]string{"SPECSTAR_S3_BUCKET": "b"},
			want: with(func(c *Config) { c.S3.Bucket = "b" })},
		{name: "gc off in env", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_GC_INTERVAL": "off"},
			want: with(func(c *Config) { c.S3.Bucket = "b"; c.S3GCInterval = S3GCOff })},
		{name: "gc off in flag", args: []string{"-s3-bucket", "b", "-s3-gc-interval", "OFF"},
			want: with(func(c *Config) { c.S3.Bucket = "b"; c.S3GCInterval = S3GCOff })},
		{name: "s3 with memory", env: map[string]string{"SPECSTAR_DATABASE_URL": "memory:", "SPECSTAR_S3_BUCKET": "b"},
			wantErr: `S3 storage needs a persistent database for its index: SPECSTAR_DATABASE_URL is "memory:"`},
		{name: "endpoint without bucket", env: map[string]string{"SPECSTAR_S3_ENDPOINT": "http://127.0.0.1:9000"},
			wantErr: "SPECSTAR_S3_ENDPOINT (-s3-endpoint) is set but the S3 bucket is not: set SPECSTAR_S3_BUCKET (-s3-bucket)"},
		{name: "keys without bucket", args: []string{"-s3-access-key-id", "k", "-s3-secret-access-key", "s"},
			wantErr: "SPECSTAR_S3_ACCESS_KEY_ID (-s3-access-key-id) is set but the S3 bucket is not"},
		{name: "prefix without bucket", env: map[string]string{"SPECSTAR_S3_PREFIX": "p"},
			wantErr: "SPECSTAR_S3_PREFIX (-s3-prefix) is set but the S3 bucket is not"},
		{name: "key id without secret", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_ACCESS_KEY_ID": "k"},
			wantErr: "set both SPECSTAR_S3_ACCESS_KEY_ID and SPECSTAR_S3_SECRET_ACCESS_KEY"},
		{name: "secret without key id", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_SECRET_ACCESS_KEY": "s"},
			wantErr: "set both SPECSTAR_S3_ACCESS_KEY_ID and SPECSTAR_S3_SECRET_ACCESS_KEY"},
		{name: "endpoint without scheme", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_ENDPOINT": "minio:9000"},
			wantErr: `SPECSTAR_S3_ENDPOINT "minio:9000" is not an http:// or https:// URL`},
		{name: "bad prefix", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_PREFIX": "a/../b"},
			wantErr: `SPECSTAR_S3_PREFIX "a/../b" is not a valid key prefix`},
		{name: "prefix slashes are trimmed", env: map[string]string{"SPECSTAR_S3_BUCKET": "b", "SPECSTAR_S3_PREFIX": "/app/"},
			want: with(func(c *Config) { c.S3 = blob.S3Config{Bucket: "b", Prefix: "/app/"} })},
		{name: "bad gc interval env", env: map[string]string{"SPECSTAR_S3_GC_INTERVAL": "hourly"},
			wantErr: `SPECSTAR_S3_GC_INTERVAL: invalid interval "hourly"`},
		{name: "zero gc interval env", env: map[string]string{"SPECSTAR_S3_GC_INTERVAL": "0"},
			wantErr: `SPECSTAR_S3_GC_INTERVAL: invalid interval "0" (use a positive Go duration such as 1h, or "off")`},
		{name: "bad gc interval flag", args: []string{"-s3-gc-interval", "-1h"}, wantErr: `invalid value "-1h" for flag -s3-gc-interval`,
			wantFlagErr: true},
		{name: "bad gc min age", env: map[string]string{"SPECSTAR_S3_GC_MIN_AGE": "old"}, wantErr: `SPECSTAR_S3_GC_MIN_AGE: invalid duration "old"`},
		{name: "zero gc min age", args: []string{"-s3-gc-min-age", "0s"}, wantErr: "S3 GC minimum age must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := LoadConfig(tt.args, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error = %v, want %q", err, tt.wantErr)
				}
				var fe *FlagError
				if errors.As(err, &fe) != tt.wantFlagErr {
					t.Errorf("error %v: flag error = %v, want %v", err, !tt.wantFlagErr, tt.wantFlagErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got != tt.want {
				t.Errorf("LoadConfig =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestLoadConfigHelpIsErrHelp(t *testing.T) {
	_, err := LoadConfig([]string{"-help"}, func(string) string { return "" })
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("error = %v, want flag.ErrHelp", err)
	}
}

func TestConfigWithDefaults(t *testing.T) {
	got := Config{Addr: ":1", BodyLimit: 7}.withDefaults()
	want := Config{Addr: ":1", DataDir: "./data", BodyLimit: 7, GraphQLBodyLimit: 1 << 20, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ShutdownTimeout: 15 * time.Second, LogLevel: "info",
		S3GCInterval: time.Hour, S3GCMinAge: time.Hour, JobWorkers: 50, JobLease: 30 * time.Second}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}

func TestValidateInNew(t *testing.T) {
	// New validates Config literals as LoadConfig does.
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "negative gc interval", cfg: Config{DatabaseURL: "sqlite:x.db", S3: blob.S3Config{Bucket: "b"}, S3GCInterval: -time.Hour},
			wantErr: "S3 GC interval must be positive or off"},
		{name: "negative gc min age", cfg: Config{S3GCMinAge: -time.Second}, wantErr: "S3 GC minimum age must be positive"},
		{name: "s3 with memory", cfg: Config{DatabaseURL: "memory:", S3: blob.S3Config{Bucket: "b"}}, wantErr: "S3 storage needs a persistent database"},
		{name: "region without bucket", cfg: Config{S3: blob.S3Config{Region: "eu-west-1"}}, wantErr: "SPECSTAR_S3_REGION (-s3-region) is set but the S3 bucket is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.withDefaults().validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("validate = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    database
		wantErr string
	}{
		{name: "default", url: "", want: database{kind: dbSQLite}},
		{name: "memory", url: "memory:", want: database{kind: dbMemory}},
		{name: "sqlite", url: "sqlite:data/app.db", want: database{kind: dbSQLite, path: "data/app.db"}},
		{name: "file", url: "file:/srv/app.db", want: database{kind: dbSQLite, path: "/srv/app.db"}},
		{name: "postgres", url: "postgres://u@h/d", want: database{kind: dbPostgres, url: "postgres://u@h/d"}},
		{name: "postgresql", url: "postgresql://u@h/d?search_path=app", want: database{kind: dbPostgres, url: "postgresql://u@h/d?search_path=app"}},
		{name: "empty file path", url: "file:", wantErr: `database URL "file:" has an empty path`},
		{name: "key value string", url: "host=db dbname=app", wantErr: `unsupported database URL "host=db dbname=app"`},
		{name: "password hidden", url: "mysql://root:hunter2@db/app", wantErr: `unsupported database URL "mysql://root:xxxxx@db/app"`},
		{name: "bare path", url: "app.db", wantErr: `unsupported database URL "app.db": use "" (SQLite in the data dir), "sqlite:PATH"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDatabaseURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseDatabaseURL error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseDatabaseURL = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	req := func(peer, xff string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer + ":1234"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return r
	}
	direct := Config{}.ipExtractor()
	if got := direct(req("10.0.0.5", "6.6.6.6")); got != "10.0.0.5" {
		t.Fatalf("without trusted proxies the client is the peer: got %s", got)
	}
	proxied := Config{TrustedProxies: "10.0.0.0/8"}.ipExtractor()
	if got := proxied(req("10.0.0.5", "203.0.113.9")); got != "203.0.113.9" {
		t.Fatalf("behind a trusted proxy: got %s", got)
	}
	if got := proxied(req("192.0.2.1", "203.0.113.9")); got != "192.0.2.1" {
		t.Fatalf("an untrusted peer's X-Forwarded-For was believed: got %s", got)
	}
	if _, err := LoadConfig(nil, func(k string) string {
		if k == "SPECSTAR_TRUSTED_PROXIES" {
			return "10.0.0.0/8,nonsense"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), `"nonsense" is not a CIDR`) {
		t.Fatalf("bad CIDR: %v", err)
	}
	if _, err := LoadConfig(nil, func(k string) string {
		if k == "SPECSTAR_AUTH_SECRET" {
			return "short"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short secret: %v", err)
	}
}
