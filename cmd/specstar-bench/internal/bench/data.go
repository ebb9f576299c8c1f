package bench

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Categories are the values of the Item category enum
// (examples/bench/specstar.yaml).
var Categories = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}

// Row is one item of the data set, in the JSON every system accepts for a
// create: the generated server, the raw baselines and PocketBase's
// collection share field names and value formats.
type Row struct {
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	HappenedAt time.Time `json:"happened_at"`
	Body       string    `json:"body"`
	Score      int64     `json:"score"`
}

// epoch is the earliest happened_at of the data set.
var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// spanSeconds is the range of happened_at: five years.
const spanSeconds = 5 * 365 * 24 * 3600

// bodySize is the length of every row's body in bytes.
const bodySize = 300

// words make up the bodies.
var words = strings.Fields(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do
	eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis
	nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure
	in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat
	cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum`)

// mix is splitmix64: a cheap, well-spread hash of i, so that rows look
// random but every run (and every system) gets the same data.
func mix(i uint64) uint64 {
	z := i + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// MakeRow returns row i of the data set: a category spread evenly, a
// happened_at anywhere in five years (whole seconds, so every time has the
// same RFC 3339 length and text order is time order), a 300-byte body and
// a score from 0 to 999.
func MakeRow(i int) Row {
	h := mix(uint64(i))
	return Row{
		Title:      "Item " + strconv.Itoa(i),
		Category:   Categories[h%uint64(len(Categories))],
		HappenedAt: epoch.Add(time.Duration((h>>8)%spanSeconds) * time.Second),
		Body:       body(h),
		Score:      int64((h >> 40) % 1000),
	}
}

// body returns exactly bodySize bytes of words chosen by h.
func body(h uint64) string {
	var b strings.Builder
	b.Grow(bodySize + 16)
	for n := uint64(0); b.Len() < bodySize; n++ {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[mix(h+n)%uint64(len(words))])
	}
	return b.String()[:bodySize]
}

// JSON returns the row as a request body.
func (r Row) JSON() []byte {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err) // a Row always marshals
	}
	return data
}

// Updated returns the row as written by update number seq: a new title
// and score, so that every update changes the content and writes a
// revision, with the category and time kept (the list scenario sees the
// same set).
func (r Row) Updated(seq uint64) Row {
	r.Title = r.Title + " v" + strconv.FormatUint(seq, 10)
	r.Score = int64(seq % 1000)
	return r
}
