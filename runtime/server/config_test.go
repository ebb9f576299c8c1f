package server

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	defaults := Config{Addr: ":8080", DataDir: "./data", BodyLimit: 10 << 20, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ShutdownTimeout: 15 * time.Second, LogLevel: "info"}
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
			"SPECSTAR_SHUTDOWN_TIMEOUT": "2s", "SPECSTAR_LOG_LEVEL": "debug"},
			want: Config{Addr: "127.0.0.1:9000", DataDir: "/var/lib/x", DatabaseURL: "memory:", BodyLimit: 1024,
				ReadTimeout: 5 * time.Second, WriteTimeout: time.Minute, ShutdownTimeout: 2 * time.Second, LogLevel: "debug"}},
		{name: "flags", args: []string{"-addr", ":1", "-data-dir=d", "-database-url", "sqlite:x.db", "-body-limit", "5",
			"-read-timeout", "1s", "-write-timeout", "2s", "-shutdown-timeout", "3s", "-log-level", "warn"},
			want: Config{Addr: ":1", DataDir: "d", DatabaseURL: "sqlite:x.db", BodyLimit: 5, ReadTimeout: time.Second,
				WriteTimeout: 2 * time.Second, ShutdownTimeout: 3 * time.Second, LogLevel: "warn"}},
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
		{name: "negative timeout", env: map[string]string{"SPECSTAR_SHUTDOWN_TIMEOUT": "-1s"}, wantErr: "shutdown timeout must be positive"},
		{name: "bad log level", env: map[string]string{"SPECSTAR_LOG_LEVEL": "loud"}, wantErr: `log level must be debug, info, warn or error, got "loud"`},
		{name: "log level is case-insensitive", args: []string{"-log-level", "ERROR"}, want: with(func(c *Config) { c.LogLevel = "ERROR" })},
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
	want := Config{Addr: ":1", DataDir: "./data", BodyLimit: 7, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ShutdownTimeout: 15 * time.Second, LogLevel: "info"}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}
