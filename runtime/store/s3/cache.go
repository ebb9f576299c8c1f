package s3

import (
	"bytes"
	"container/list"
	"sync"
)

// cache is an LRU cache of immutable bodies by key, bounded in bytes. It
// stores and hands out copies, so callers may modify what they get.
type cache struct {
	max int64 // 0: disabled

	mu    sync.Mutex
	size  int64
	order *list.List               // front: most recently used; values are *entry
	items map[string]*list.Element // by key
}

// entry is one cached body.
type entry struct {
	key  string
	body []byte
}

// newCache returns a cache of at most max bytes of bodies.
func newCache(max int64) *cache {
	return &cache{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns a copy of the body under key.
func (c *cache) get(key string) ([]byte, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return bytes.Clone(el.Value.(*entry).body), true
}

// add stores a copy of body under key, evicting the least recently used
// bodies beyond the size limit. A body larger than an eighth of the cache
// is not kept: it would evict many small ones for one read.
func (c *cache) add(key string, body []byte) {
	n := int64(len(body))
	if c.max <= 0 || n > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&entry{key: key, body: bytes.Clone(body)})
	c.size += n
	for c.size > c.max {
		el := c.order.Back()
		e := el.Value.(*entry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.size -= int64(len(e.body))
	}
}

// len returns the number of cached bodies and their total size.
func (c *cache) len() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.size
}
