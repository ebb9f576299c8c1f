// Package stmtcache keeps the prepared statements of a database/sql driver
// connection for reuse, keyed by their text.
//
// River's SQLite driver sends each query as text, and modernc.org/sqlite
// prepares the text again for every call: for River's larger statements
// (setting a job's state, fetching available jobs) parsing costs more than
// running them, about a millisecond each on a small machine. database/sql
// caches nothing for queries made on a *sql.DB or *sql.Tx, so the cache
// sits below it, in the driver connection: a Connector whose connections
// answer QueryContext and ExecContext from a statement prepared once.
//
// A statement is reused only when it is idle: a second query with the same
// text while the rows of the first are still open (possible inside a
// transaction) is prepared afresh and finalized after use. The cache is
// bounded, least recently used first out, since some texts vary with the
// number of arguments.
package stmtcache

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
)

// Connector returns a connector that opens connections of d with name and
// caches up to size prepared statements on each.
func Connector(d driver.Driver, name string, size int) driver.Connector {
	return &connector{d: d, name: name, size: max(size, 1)}
}

type connector struct {
	d    driver.Driver
	name string
	size int
}

// Connect opens a connection and wraps it.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.d.Open(c.name)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: inner, size: c.size, byText: make(map[string]*list.Element), lru: list.New()}, nil
}

// Driver returns the wrapped driver.
func (c *connector) Driver() driver.Driver { return c.d }

// entry is one cached statement.
type entry struct {
	text string
	stmt driver.Stmt
	busy bool // rows of it are open
}

// conn is a driver connection with a statement cache. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type conn struct {
	driver.Conn
	size   int
	byText map[string]*list.Element
	lru    *list.List // of *entry, most recent first
}

// errNoContext is returned when the wrapped driver lacks the context
// interfaces this package needs.
var errNoContext = errors.New("stmtcache: the driver's statements do not support contexts")

// get returns the idle cached statement for text, preparing and caching it
// if needed; a busy one yields a fresh statement that is not cached
// (cached false).
func (c *conn) get(ctx context.Context, text string) (e *entry, cached bool, err error) {
	if el, ok := c.byText[text]; ok {
		e = el.Value.(*entry)
		if !e.busy {
			c.lru.MoveToFront(el)
			return e, true, nil
		}
		st, err := c.prepare(ctx, text)
		if err != nil {
			return nil, false, err
		}
		return &entry{text: text, stmt: st}, false, nil
	}
	st, err := c.prepare(ctx, text)
	if err != nil {
		return nil, false, err
	}
	e = &entry{text: text, stmt: st}
	c.byText[text] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		c.evict(c.lru.Back())
	}
	return e, true, nil
}

// evict drops a statement from the cache; a busy one is closed when its
// rows are.
func (c *conn) evict(el *list.Element) {
	e := el.Value.(*entry)
	c.lru.Remove(el)
	delete(c.byText, e.text)
	if !e.busy {
		e.stmt.Close()
	}
	e.text = "" // marks it evicted for rows.Close
}

func (c *conn) prepare(ctx context.Context, text string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, text)
	}
	return c.Conn.Prepare(text)
}

// ExecContext runs a statement from the cache.
func (c *conn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	e, cached, err := c.get(ctx, text)
	if err != nil {
		return nil, err
	}
	x, ok := e.stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errNoContext
	}
	if cached {
		e.busy = true
		defer func() { c.release(e) }()
	} else {
		defer e.stmt.Close()
	}
	return x.ExecContext(ctx, args)
}

// QueryContext runs a query from the cache.
func (c *conn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	e, cached, err := c.get(ctx, text)
	if err != nil {
		return nil, err
	}
	q, ok := e.stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errNoContext
	}
	r, err := q.QueryContext(ctx, args)
	if err != nil {
		if !cached {
			e.stmt.Close()
		}
		return nil, err
	}
	if cached {
		e.busy = true
	}
	return &rows{Rows: r, c: c, e: e, cached: cached}, nil
}

// release marks a cached statement idle again, or closes it when it was
// evicted meanwhile.
func (c *conn) release(e *entry) {
	e.busy = false
	if e.text == "" {
		e.stmt.Close()
	}
}

// Close closes the cached statements and the connection.
func (c *conn) Close() error {
	for el := c.lru.Front(); el != nil; el = el.Next() {
		el.Value.(*entry).stmt.Close()
	}
	c.lru.Init()
	clear(c.byText)
	return c.Conn.Close()
}

// The optional interfaces database/sql looks for, passed through.

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback of database/sql itself
}

func (c *conn) PrepareContext(ctx context.Context, text string) (driver.Stmt, error) {
	return c.prepare(ctx, text)
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// rows releases its statement when closed.
type rows struct {
	driver.Rows
	c      *conn
	e      *entry
	cached bool
	closed bool
}

func (r *rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	if r.cached {
		r.c.release(r.e)
	} else if cerr := r.e.stmt.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}
