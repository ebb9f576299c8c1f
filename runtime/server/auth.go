package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
)

// AuthSettings is the auth block of a spec: its roles and token
// lifetimes.
type AuthSettings struct {
	Roles      []string      // every role of the spec; "admin" is always one
	AccessTTL  time.Duration // lifetime of access tokens (JWT)
	RefreshTTL time.Duration // lifetime of a login's refresh tokens
}

// AuthApp is an App whose spec has auth: the server serves /api/auth,
// authenticates every request to /api and /graphql, and the Service
// enforces the kinds' permission rules. Generated apps of such specs
// implement it.
type AuthApp interface {
	App
	AuthSettings() AuthSettings
}

// newAuth returns the auth of an AuthApp, or nil for another app.
func newAuth(cfg Config, app App, logger *slog.Logger) (*auth.Auth, error) {
	aa, ok := app.(AuthApp)
	if !ok {
		return nil, nil
	}
	st := aa.AuthSettings()
	a, err := auth.New(app.Schema(), auth.Config{
		Roles:      st.Roles,
		AccessTTL:  st.AccessTTL,
		RefreshTTL: st.RefreshTTL,
		Secrets:    cfg.authSecrets(),
		Logger:     logger,
	})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return a, nil
}

// authSecrets splits SPECSTAR_AUTH_SECRET into its secrets: the first
// signs, all verify.
func (c Config) authSecrets() []string {
	var out []string
	for s := range strings.SplitSeq(c.AuthSecret, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// startAuth binds auth to the service (loading or creating the signing
// key) and, in PostgreSQL mode, keeps its cache of users and tokens in
// step with the changes other instances make.
func (s *Server) startAuth() error {
	if s.auth == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if err := s.auth.Start(ctx, s.svc); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	feedCtx, stop := context.WithCancel(context.Background())
	s.stopAuth = stop
	go s.sweepAuth(feedCtx)
	if s.pgFeed == nil {
		return nil // one process: auth's observer sees every change
	}
	for _, kind := range []string{"User", "AuthCredential", "AuthToken", "AuthSession"} {
		events, err := s.feed.Subscribe(feedCtx, kind, "")
		if err != nil {
			stop()
			return fmt.Errorf("auth: subscribe to %s changes: %w", kind, err)
		}
		go func() {
			for e := range events {
				s.auth.Invalidate(e.Kind, e.ID)
			}
		}()
	}
	return nil
}

// authSweepInterval is how often the server removes ended logins, dead
// tokens and ended rate-limit windows.
const authSweepInterval = time.Hour

// sweepAuth runs auth's Sweep every authSweepInterval until ctx ends.
// Several instances sweeping the same database is harmless.
func (s *Server) sweepAuth(ctx context.Context) {
	tick := time.NewTicker(authSweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := s.auth.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.logger.Warn("auth sweep failed", "error", err)
		case n > 0:
			s.logger.Info("auth sweep", "removed", n)
		}
	}
}

// authenticate returns the middleware that authenticates requests to the
// API, when the app has auth.
func (s *Server) authenticate() []echo.MiddlewareFunc {
	if s.auth == nil {
		return nil
	}
	return []echo.MiddlewareFunc{s.auth.Middleware()}
}

// Auth returns the server's auth, nil when its app has none.
func (s *Server) Auth() *auth.Auth { return s.auth }
