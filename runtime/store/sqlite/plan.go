package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlquery"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// SQLite's planner does not weigh LIMIT when it chooses an index: for
// "status = 'published' ORDER BY views DESC LIMIT 21" it reads every
// published row through the status index and sorts them, even when
// walking the views index would find 21 matches after a few dozen rows.
// sortIndex makes that choice from the statistics PRAGMA optimize keeps:
// walking the index of the first sort key reads about limit / s rows,
// where s is the share of rows the filter keeps; using the index of an
// equality (or "in") condition reads its k rows per key and sorts them.
// The walk wins when limit * rows / k < k.

// statsMaxAge is how long the statistics of a kind are cached.
const statsMaxAge = time.Minute

// indexStats are the sqlite_stat1 figures of one kind's indexes.
type indexStats struct {
	loaded time.Time
	rows   float64            // rows in the table
	perKey map[string]float64 // index name -> average rows per key
}

// statsCache holds the statistics of one kind.
type statsCache struct {
	mu    sync.Mutex
	stats *indexStats
}

// stats returns the kind's index statistics, reading sqlite_stat1 in the
// transaction when the cached ones are old. It returns nil when the
// database has none.
func (t *txn) stats(ks *kindSQL) *indexStats {
	ks.statsCache.mu.Lock()
	defer ks.statsCache.mu.Unlock()
	if st := ks.statsCache.stats; st != nil && time.Since(st.loaded) < statsMaxAge {
		return st
	}
	st := &indexStats{loaded: time.Now(), perKey: make(map[string]float64)}
	ks.statsCache.stats = st
	rows, err := t.tx.QueryContext(t.ctx, `SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ?`, ks.kind.Table)
	if err != nil {
		// No sqlite_stat1 table yet: nothing was analyzed.
		return st
	}
	defer rows.Close()
	for rows.Next() {
		var idx, stat string
		if rows.Scan(&idx, &stat) != nil {
			continue
		}
		f := strings.Fields(stat)
		if len(f) < 2 {
			continue
		}
		n, err1 := strconv.ParseFloat(f[0], 64)
		k, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || k <= 0 {
			continue
		}
		st.rows = max(st.rows, n)
		st.perKey[idx] = k
	}
	rows.Close()
	t.scaleStats(ks, st)
	return st
}

// scaleStats scales statistics gathered on a smaller table to its size
// now. PRAGMA optimize analyzes a table again only when it has grown
// about 25-fold, so a table analyzed at 1 000 rows that has 20 000 now
// still claims 1 000 and an eighth of that per category; the walk
// estimate compares absolute row counts and would take the stale figures
// at their word. Assuming each key keeps its share of the rows, rows per
// key grow with the table. max(rowid) is one step down the table's
// b-tree and counts every row ever inserted, a close upper bound for
// records, which are rarely purged.
func (t *txn) scaleStats(ks *kindSQL, st *indexStats) {
	if st.rows == 0 {
		return
	}
	var now sql.NullFloat64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT max(rowid) FROM `+ks.table).Scan(&now); err != nil || !now.Valid || now.Float64 <= st.rows {
		return
	}
	f := now.Float64 / st.rows
	for idx, k := range st.perKey {
		st.perKey[idx] = k * f
	}
	st.rows = now.Float64
}

// sortIndex returns the index the query should walk (for INDEXED BY), or
// "" to leave the choice to SQLite: the index of a field that an
// equality condition at the top level of the filter names, when that
// index holds the query's order after the field (the kind's default
// order: see sqlschema.IndexedOrder), which reads the matches in order
// and no other row; else the index of the first sort key when q has a
// limit and every equality or "in" condition at the top level of the
// filter keeps too many rows for its index to beat the walk.
func (t *txn) sortIndex(ks *kindSQL, q *resource.Query) string {
	keys := sqlquery.SortKeys(q)
	if ix := orderedEquality(ks.kind, q, keys); ix != "" {
		return ix
	}
	first := keys[0].Field
	if q.Limit <= 0 || q.Filter == nil || first.Meta || first.List {
		return ""
	}
	f := ks.kind.Field(first.Name)
	if f == nil || !f.HasIndex() || f.List {
		return ""
	}
	sortIx := indexName(indexPrefix, ks.kind.Table, first.Name)
	terms := []filter.Expr{q.Filter}
	if and, ok := q.Filter.(*filter.And); ok {
		terms = and.Terms
	}
	var st *indexStats
	for _, term := range terms {
		var field filter.FieldInfo
		values := 1
		switch x := term.(type) {
		case *filter.Cmp:
			if x.Op != filter.Eq {
				continue
			}
			field = x.Field.Info
		case *filter.In:
			field, values = x.Field.Info, len(x.Values)
		default:
			continue
		}
		if field.Name == first.Name {
			continue
		}
		if field.Meta {
			// resource_id equality: a primary key lookup always wins.
			if field.Name == resource.FieldResourceID {
				return ""
			}
			continue
		}
		if f := ks.kind.Field(field.Name); field.List || f == nil || !f.HasIndex() {
			continue // no index competes with the walk
		}
		if st == nil {
			if st = t.stats(ks); st.rows == 0 {
				return ""
			}
		}
		perKey, ok := st.perKey[indexName(indexPrefix, ks.kind.Table, field.Name)]
		if !ok {
			return ""
		}
		k := perKey * float64(values)
		if float64(q.Offset+q.Limit)*st.rows/k >= k {
			return "" // this condition's index reads fewer rows
		}
	}
	if st == nil {
		// No equality competes with the walk; SQLite takes the sort
		// index for a limited, ordered scan on its own.
		return ""
	}
	return sortIx
}

// orderedEquality returns the ix_ index of a field that an equality
// condition at the top level of q's filter names and whose index holds
// keys after the field, or "". It only answers when that condition is
// the only one at the top level that an index serves by equality (an
// equality or an "in" on an indexed field, or on resource_id): with
// two, the other one's index may be far more selective, and the choice
// is left to the statistics.
func orderedEquality(k *resource.Kind, q *resource.Query, keys []filter.SortKey) string {
	if q.Filter == nil {
		return ""
	}
	terms := []filter.Expr{q.Filter}
	if and, ok := q.Filter.(*filter.And); ok {
		terms = and.Terms
	}
	var eq *filter.Cmp
	for _, term := range terms {
		var field filter.FieldInfo
		switch x := term.(type) {
		case *filter.Cmp:
			if x.Op != filter.Eq {
				continue
			}
			field = x.Field.Info
			if eq == nil {
				eq = x
			} else {
				return ""
			}
		case *filter.In:
			field = x.Field.Info
			if !field.Meta {
				if f := k.Field(field.Name); f != nil && f.HasIndex() {
					return ""
				}
			}
		default:
			continue
		}
		if field.Meta && field.Name == resource.FieldResourceID {
			return ""
		}
	}
	if eq == nil || eq.Field.Info.Meta || eq.Field.Info.List {
		return ""
	}
	if f := k.Field(eq.Field.Info.Name); f == nil || !f.HasIndex() || f.List {
		return ""
	}
	held := sqlschema.IndexedOrder(k, eq.Field.Info.Name)
	if !slices.EqualFunc(keys, held, func(a filter.SortKey, b sqlschema.OrderKey) bool {
		return a.Field.Name == b.Name && a.Desc == b.Desc
	}) {
		return ""
	}
	return indexName(indexPrefix, k.Table, eq.Field.Info.Name)
}

// stmtCacheSize bounds the prepared list and count statements kept per
// kind; filters of other shapes are prepared per query.
const stmtCacheSize = 128

// stmtWait bounds how long preparing a statement for the cache may wait
// for an idle read connection. Every read connection may be inside a
// View that is itself preparing, so waiting without bound could
// deadlock; after the wait the query runs unprepared.
const stmtWait = 10 * time.Millisecond

// stmtCache holds prepared statements of the read pool by SQL text.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns the prepared statement of query, preparing it on db when
// there is room, or nil.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= stmtCacheSize
	c.mu.Unlock()
	if ok || full {
		return st
	}
	pctx, cancel := context.WithTimeout(ctx, stmtWait)
	defer cancel()
	st, err := db.PrepareContext(pctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		st.Close()
		return prev
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = st
	return st
}

// close closes the cached statements.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
