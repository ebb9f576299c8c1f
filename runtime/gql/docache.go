package gql

import "sync"

// docCache is a map, safe for concurrent use, of what the server works
// out once per parsed document (and variables): collected fields,
// parsed arguments, complexities. Its keys hold their documents, so it
// is bounded: emptied when it reaches maxDocCache entries, it holds at
// most about as many documents as gqlgen's query cache (queryCacheSize)
// does. A query whose variables change with every request (an id) fills
// it and empties it again; it never grows beyond the bound.
type docCache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// maxDocCache bounds each docCache.
const maxDocCache = 1024

func (c *docCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *docCache[K, V]) add(k K, v V) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxDocCache {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}
