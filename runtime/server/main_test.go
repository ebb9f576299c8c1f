package server

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr []string
		wantUsage  bool
	}{
		{name: "bad flag", args: []string{"-nope"}, wantCode: ExitUsage,
			wantStderr: []string{"error: flag provided but not defined: -nope", "Usage:", "-database-url"}, wantUsage: true},
		{name: "bad flag value", args: []string{"-write-timeout", "forever"}, wantCode: ExitUsage,
			wantStderr: []string{`invalid value "forever" for flag -write-timeout`, "Usage:"}, wantUsage: true},
		{name: "help", args: []string{"-help"}, wantCode: ExitOK, wantStderr: []string{"Usage:", "-shutdown-timeout"}, wantUsage: true},
		{name: "bad env", env: map[string]string{"SPECSTAR_READ_TIMEOUT": "x"}, wantCode: ExitUsage,
			wantStderr: []string{`SPECSTAR_READ_TIMEOUT: invalid duration "x"`}},
		{name: "bad database url", args: []string{"-database-url", "redis://x"}, wantCode: ExitUsage,
			wantStderr: []string{`error: unsupported database URL "redis://x"`}},
		{name: "bad combination", env: map[string]string{"SPECSTAR_S3_BUCKET": "b"}, args: []string{"-database-url", "memory:"},
			wantCode: ExitUsage, wantStderr: []string{"error: S3 storage needs a persistent database"}},
		{name: "startup failure", args: []string{"-database-url", "postgres://u:secret@127.0.0.1:1/x?connect_timeout=1"}, wantCode: ExitFailure,
			wantStderr: []string{`"msg":"startup failed"`, "postgres: open"}},
		{name: "clean run", args: []string{"-addr", "127.0.0.1:0", "-database-url", "memory:"}, wantCode: ExitOK,
			wantStderr: []string{`"msg":"listening","addr":"127.0.0.1:`, `"msg":"stopped"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var stderr bytes.Buffer
			code := Main(ctx, tt.args, newTestApp(), &stderr)
			if code != tt.wantCode {
				t.Errorf("Main = %d, want %d; stderr:\n%s", code, tt.wantCode, &stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not contain %q:\n%s", want, &stderr)
				}
			}
			if got := strings.Contains(stderr.String(), "Usage:"); got != tt.wantUsage {
				t.Errorf("usage printed = %v, want %v", got, tt.wantUsage)
			}
			if tt.wantCode == ExitUsage && strings.Contains(stderr.String(), "listening") {
				t.Error("server started despite a usage error")
			}
		})
	}
}
