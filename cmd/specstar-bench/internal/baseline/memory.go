package baseline

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// memoryStore is the raw memory baseline: a map of items guarded by a
// sync.RWMutex, keeping every revision like the engine does.
type memoryStore struct {
	mu    sync.RWMutex
	items map[string]*memoryItem
}

// memoryItem is one stored item: its current envelope, the fields the
// list filters and sorts on, and its revisions.
type memoryItem struct {
	env        *envelope
	category   string
	happenedAt time.Time
	revisions  []memoryRevision
}

// memoryRevision is one stored revision.
type memoryRevision struct {
	info revisionInfo
	data json.RawMessage
}

// NewMemory returns the raw memory baseline, empty.
func NewMemory() *Server {
	st := &memoryStore{items: make(map[string]*memoryItem)}
	e := newEcho()
	e.GET("/api/items/:id", st.handleGet)
	e.GET("/api/items", st.handleList)
	e.POST("/api/items", st.handleCreate)
	e.PUT("/api/items/:id", st.handleUpdate)
	return &Server{echo: e}
}

// handleGet serves GET /api/items/:id.
func (st *memoryStore) handleGet(c echo.Context) error {
	id := c.Param("id")
	st.mu.RLock()
	it := st.items[id]
	var env envelope
	if it != nil {
		env = *it.env
	}
	st.mu.RUnlock()
	if it == nil {
		return notFound(id)
	}
	if env.Meta.IsDeleted {
		return gone(id)
	}
	return writeEnvelope(c, http.StatusOK, &env)
}

// handleList serves GET /api/items?category=C&limit=N: a scan of every
// item, then a sort of the matches.
func (st *memoryStore) handleList(c echo.Context) error {
	category, limit, err := listParams(c)
	if err != nil {
		return err
	}
	var matches []*memoryItem
	st.mu.RLock()
	for _, it := range st.items {
		if it.category == category && !it.env.Meta.IsDeleted {
			matches = append(matches, it)
		}
	}
	slices.SortFunc(matches, func(a, b *memoryItem) int {
		if c := b.happenedAt.Compare(a.happenedAt); c != 0 {
			return c
		}
		return strings.Compare(b.env.Meta.ResourceID, a.env.Meta.ResourceID)
	})
	out := page{Items: make([]*envelope, 0, min(limit, len(matches)))}
	for _, it := range matches[:min(limit, len(matches))] {
		env := *it.env
		out.Items = append(out.Items, &env)
	}
	if len(matches) > limit {
		last := matches[limit-1]
		out.NextCursor = cursorOf(last.happenedAt, last.env.Meta.ResourceID)
	}
	st.mu.RUnlock()
	body, err := json.Marshal(&out)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, body)
}

// handleCreate serves POST /api/items.
func (st *memoryStore) handleCreate(c echo.Context) error {
	data, in, err := decodeItem(c)
	if err != nil {
		return err
	}
	id, err := newID()
	if err != nil {
		return err
	}
	env := firstRevision(id, data, now())
	it := &memoryItem{
		env:        env,
		category:   in.Category,
		happenedAt: in.HappenedAt,
		revisions:  []memoryRevision{{info: env.RevisionInfo, data: data}},
	}
	st.mu.Lock()
	st.items[id] = it
	st.mu.Unlock()
	return created(c, env)
}

// handleUpdate serves PUT /api/items/:id.
func (st *memoryStore) handleUpdate(c echo.Context) error {
	data, in, err := decodeItem(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	hash := dataHash(data)
	t := now()
	st.mu.Lock()
	it := st.items[id]
	switch {
	case it == nil:
		st.mu.Unlock()
		return notFound(id)
	case it.env.Meta.IsDeleted:
		st.mu.Unlock()
		return gone(id)
	case it.env.RevisionInfo.DataHash == hash && it.env.RevisionInfo.Status == "stable":
		env := *it.env
		st.mu.Unlock()
		return writeEnvelope(c, http.StatusOK, &env)
	}
	next := nextRevision(it.env, data, hash, t)
	it.env, it.category, it.happenedAt = next, in.Category, in.HappenedAt
	it.revisions = append(it.revisions, memoryRevision{info: next.RevisionInfo, data: data})
	env := *next
	st.mu.Unlock()
	return writeEnvelope(c, http.StatusOK, &env)
}
