// Package baseline holds the raw baselines of specstar-bench: hand-written
// echo handlers for the benchmark's Item resource that do the same work as
// the generated server with nothing in between. They answer the same
// routes with the same JSON envelopes:
//
//	GET  /api/items/:id                   the envelope of one item
//	GET  /api/items?category=C&limit=N    live items of category C, newest happened_at first
//	POST /api/items                       create: revision 1 and the record, one transaction
//	PUT  /api/items/:id                   update: revision n+1 and the record, one transaction
//
// NewSQLite and NewPostgres work on the tables the specstar SQLite and
// PostgreSQL backends create (they read and write the same rows);
// NewMemory keeps items in a map guarded by a sync.RWMutex; NewFixed answers every GET of an item with one
// constant body, the upper bound of what any handler can serve.
package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// item is the data of the benchmark resource, with the same fields, field
// order and JSON encoding as the generated type, so that both store the
// same canonical bytes.
type item struct {
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	HappenedAt time.Time `json:"happened_at"`
	Body       *string   `json:"body"`
	Score      *int64    `json:"score"`
}

// categories are the values of the category enum.
var categories = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}

// subject is who writes: the generated server records "anonymous" for
// unauthenticated calls.
const subject = "anonymous"

// meta is the resource meta of an envelope.
type meta struct {
	ResourceID         string    `json:"resource_id"`
	CurrentRevisionID  string    `json:"current_revision_id"`
	TotalRevisionCount int       `json:"total_revision_count"`
	SchemaVersion      int       `json:"schema_version"`
	CreatedTime        time.Time `json:"created_time"`
	CreatedBy          string    `json:"created_by"`
	UpdatedTime        time.Time `json:"updated_time"`
	UpdatedBy          string    `json:"updated_by"`
	IsDeleted          bool      `json:"is_deleted"`
}

// revisionInfo is the revision info of an envelope.
type revisionInfo struct {
	RevisionID       string    `json:"revision_id"`
	ParentRevisionID *string   `json:"parent_revision_id"`
	ResourceID       string    `json:"resource_id"`
	Number           int       `json:"-"`
	Status           string    `json:"status"`
	DataHash         string    `json:"data_hash"`
	SchemaVersion    int       `json:"schema_version"`
	CreatedTime      time.Time `json:"created_time"`
	CreatedBy        string    `json:"created_by"`
	UpdatedTime      time.Time `json:"updated_time"`
	UpdatedBy        string    `json:"updated_by"`
}

// envelope is the JSON of one item at one revision.
type envelope struct {
	Data         json.RawMessage `json:"data"`
	Meta         meta            `json:"meta"`
	RevisionInfo revisionInfo    `json:"revision_info"`
}

// page is the JSON of a list response.
type page struct {
	Items      []*envelope `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// Server is one raw baseline: its routes and the storage behind them.
type Server struct {
	echo  *echo.Echo
	close func() error
}

// Handler returns the HTTP handler of the baseline.
func (s *Server) Handler() http.Handler { return s.echo }

// Close releases the storage.
func (s *Server) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// newEcho returns a bare echo instance with the health route every
// baseline answers.
func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, []byte(`{"status":"ok"}`))
	})
	return e
}

// maxBody bounds request bodies, like the generated server's body limit.
const maxBody = 10 << 20

// decodeItem strictly decodes and validates a request body and returns
// its canonical JSON: unknown fields and constraint violations are 4xx
// errors.
func decodeItem(c echo.Context) (json.RawMessage, *item, error) {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxBody))
	dec.DisallowUnknownFields()
	var in item
	if err := dec.Decode(&in); err != nil {
		return nil, nil, echo.NewHTTPError(http.StatusBadRequest, "invalid JSON body: "+err.Error())
	}
	in.HappenedAt = in.HappenedAt.UTC()
	if in.Score == nil {
		in.Score = new(int64)
	}
	if err := in.validate(); err != nil {
		return nil, nil, echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	data, err := json.Marshal(&in)
	if err != nil {
		return nil, nil, err
	}
	return data, &in, nil
}

// validate checks the constraints of the spec.
func (it *item) validate() error {
	var errs []error
	if it.Title == "" || utf8.RuneCountInString(it.Title) > 200 {
		errs = append(errs, errors.New("title: is required, at most 200 characters"))
	}
	if !slices.Contains(categories, it.Category) {
		errs = append(errs, fmt.Errorf("category: must be one of %q", categories))
	}
	if it.HappenedAt.IsZero() {
		errs = append(errs, errors.New("happened_at: is required"))
	}
	if it.Body != nil && utf8.RuneCountInString(*it.Body) > 4000 {
		errs = append(errs, errors.New("body: at most 4000 characters"))
	}
	if *it.Score < 0 {
		errs = append(errs, errors.New("score: must be at least 0"))
	}
	return errors.Join(errs...)
}

// dataHash is the data_hash of canonical data.
func dataHash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// now is the time of a write: UTC, truncated to microseconds like the
// engine's.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// newID returns a UUIDv7 resource id.
func newID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// revisionID is "{id}:{n}".
func revisionID(id string, n int) string { return id + ":" + strconv.Itoa(n) }

// firstRevision returns the envelope of revision 1 of a new item.
func firstRevision(id string, data json.RawMessage, t time.Time) *envelope {
	rid := revisionID(id, 1)
	return &envelope{
		Data: data,
		Meta: meta{
			ResourceID: id, CurrentRevisionID: rid, TotalRevisionCount: 1, SchemaVersion: 1,
			CreatedTime: t, CreatedBy: subject, UpdatedTime: t, UpdatedBy: subject,
		},
		RevisionInfo: revisionInfo{
			RevisionID: rid, ResourceID: id, Number: 1, Status: "stable", DataHash: dataHash(data),
			SchemaVersion: 1, CreatedTime: t, CreatedBy: subject, UpdatedTime: t, UpdatedBy: subject,
		},
	}
}

// nextRevision returns cur advanced to a new stable revision holding
// data, with the given hash.
func nextRevision(cur *envelope, data json.RawMessage, hash string, t time.Time) *envelope {
	id := cur.Meta.ResourceID
	n := cur.Meta.TotalRevisionCount + 1
	parent := cur.RevisionInfo.RevisionID
	next := &envelope{Data: data, Meta: cur.Meta}
	next.RevisionInfo = revisionInfo{
		RevisionID: revisionID(id, n), ParentRevisionID: &parent, ResourceID: id, Number: n,
		Status: "stable", DataHash: hash, SchemaVersion: 1,
		CreatedTime: t, CreatedBy: subject, UpdatedTime: t, UpdatedBy: subject,
	}
	next.Meta.CurrentRevisionID = next.RevisionInfo.RevisionID
	next.Meta.TotalRevisionCount = n
	next.Meta.UpdatedTime, next.Meta.UpdatedBy = t, subject
	return next
}

// writeEnvelope writes env with its ETag.
func writeEnvelope(c echo.Context, status int, env *envelope) error {
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", `"`+env.RevisionInfo.RevisionID+`"`)
	return c.JSONBlob(status, body)
}

// created writes the 201 of a create.
func created(c echo.Context, env *envelope) error {
	c.Response().Header().Set(echo.HeaderLocation, "/api/items/"+env.Meta.ResourceID)
	return writeEnvelope(c, http.StatusCreated, env)
}

// listParams reads the category and limit parameters of a list.
func listParams(c echo.Context) (string, int, error) {
	category := c.QueryParam("category")
	if !slices.Contains(categories, category) {
		return "", 0, echo.NewHTTPError(http.StatusBadRequest, "category: must be one of the enum values")
	}
	limit := 20
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return "", 0, echo.NewHTTPError(http.StatusBadRequest, "limit: must be from 1 to 1000")
		}
		limit = n
	}
	return category, limit, nil
}

// cursorOf returns the next-page cursor after env: its sort key and id.
func cursorOf(happenedAt time.Time, id string) *string {
	s := happenedAt.Format(time.RFC3339Nano) + "," + id
	return &s
}

// notFound is the 404 of an unknown item.
func notFound(id string) error {
	return echo.NewHTTPError(http.StatusNotFound, "item "+strconv.Quote(id)+" not found")
}

// gone is the 410 of a deleted item.
func gone(id string) error {
	return echo.NewHTTPError(http.StatusGone, "item "+strconv.Quote(id)+" was deleted")
}
