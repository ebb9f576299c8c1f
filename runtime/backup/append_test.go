package backup

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestAppendMatchesJSON: the hand-written appenders write what
// encoding/json writes, for plain and awkward strings, nil and set
// parents, and times in several zones and precisions.
func TestAppendMatchesJSON(t *testing.T) {
	strs := []string{"", "r00000001", "r1:3", "alice@example.com", `quote"back\\slash`, "tab\tnl\n",
		"<script>&amp;", "été 日本", "\u2028\u2029", "bad\xffutf8", "\x00\x1f\x7f", "a/b c"}
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("X", -7*3600)}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return strs[rng.IntN(len(strs))] }
	tm := func() time.Time {
		t := time.Unix(rng.Int64N(1<<34)-1<<32, 0).In(zones[rng.IntN(len(zones))])
		switch rng.IntN(4) {
		case 1:
			t = t.Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
		case 2:
			t = t.Add(time.Duration(rng.IntN(1e9)))
		case 3:
			t = t.Add(500 * time.Millisecond)
		}
		return t
	}
	for n := range 2000 {
		var parent *string
		if n%3 != 0 {
			p := pick()
			parent = &p
		}
		info := resource.RevisionInfo{RevisionID: pick(), ParentRevisionID: parent, ResourceID: pick(), Number: n,
			Status: pick(), DataHash: pick(), SchemaVersion: rng.IntN(1000) - 10, CreatedTime: tm(), CreatedBy: pick(),
			UpdatedTime: tm(), UpdatedBy: pick()}
		meta := resource.Meta{ResourceID: pick(), CurrentRevisionID: pick(), TotalRevisionCount: rng.IntN(1 << 20),
			SchemaVersion: rng.IntN(5), CreatedTime: tm(), CreatedBy: pick(), UpdatedTime: tm(), UpdatedBy: pick(), IsDeleted: n%2 == 0}
		if n == 0 {
			info, meta = resource.RevisionInfo{}, resource.Meta{} // zero times
		}
		want, _ := json.Marshal(&info)
		got, err := appendInfo(nil, &info)
		if err != nil || string(got) != string(want) {
			t.Fatalf("info:\n got %s (%v)\nwant %s", got, err, want)
		}
		want, _ = json.Marshal(&meta)
		got, err = appendMeta(nil, &meta)
		if err != nil || string(got) != string(want) {
			t.Fatalf("meta:\n got %s (%v)\nwant %s", got, err, want)
		}
	}
	// Times encoding/json refuses are refused.
	for _, bad := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600))} {
		if _, err := json.Marshal(resource.Meta{CreatedTime: bad}); err == nil {
			t.Fatalf("encoding/json takes %v", bad)
		}
		if _, err := appendMeta(nil, &resource.Meta{CreatedTime: bad}); err == nil {
			t.Fatalf("appendMeta takes %v", bad)
		}
	}
}
