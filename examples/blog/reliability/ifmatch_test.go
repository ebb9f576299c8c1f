package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Bounds of the If-Match race.
const (
	raceInstances = 3
	raceWriters   = 8  // per instance
	raceAttempts  = 15 // read-then-write attempts per writer
	raceTargets   = 3  // authors, and as many posts
)

// attempt is one read-then-write of the race.
type attempt struct {
	k        *kind
	id       string
	token    string // the value written, unique to the attempt
	read     string // revision id read, sent as If-Match
	status   int
	revision string // written revision (200)
	parent   string // its parent
	start    time.Time
	end      time.Time
	err      error
}

// TestIfMatchThreeInstances runs three server processes on one
// PostgreSQL schema. Writers on every instance update the same authors
// (PUT) and posts (merge PATCH) with If-Match from a read made on another
// instance. No update may be lost: every 200 is a distinct revision whose
// parent is the revision its writer read, the history of each resource
// is exactly revision 1 and the accepted writes, and every 412 was a real
// conflict (another accepted write had replaced the revision read before
// the 412 was answered).
func TestIfMatchThreeInstances(t *testing.T) {
	needServer(t)
	dbURL := pgtest.SchemaURL(t, pgtest.URL(t))
	cs := make([]*client, raceInstances)
	for i := range cs {
		srv := startServer(t, fmt.Sprintf("instance %c", 'A'+i), "SPECSTAR_DATABASE_URL="+dbURL)
		cs[i] = newClient(t, srv)
		t.Cleanup(func() {
			if code, _, err := srv.terminate(stopTimeout); err != nil || code != 0 {
				t.Errorf("%s: exit %d, %v\n%s", srv.name, code, err, srv.logs.tail(20))
			}
		})
	}
	type target struct {
		k  *kind
		id string
	}
	var targets []target
	for i := range raceTargets {
		var a envelope
		if _, err := cs[0].expect(201, &a, "POST", authors.path, map[string]any{"name": "Contended", "email": fmt.Sprintf("race%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
		var p envelope
		if _, err := cs[1].expect(201, &p, "POST", posts.path, map[string]any{"title": fmt.Sprintf("Contended post %d", i), "author": a.Meta.ResourceID}); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target{authors, a.Meta.ResourceID}, target{posts, p.Meta.ResourceID})
	}

	attempts := make([]attempt, raceInstances*raceWriters*raceAttempts)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range raceInstances * raceWriters {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			<-start
			for i := range raceAttempts {
				a := &attempts[g*raceAttempts+i]
				tg := targets[rng.IntN(len(targets))]
				a.k, a.id, a.token = tg.k, tg.id, fmt.Sprintf("writer %d attempt %d", g, i)
				reader, writer := cs[rng.IntN(raceInstances)], cs[g%raceInstances]
				race(a, reader, writer, rng)
			}
		})
	}
	close(start)
	wg.Wait()
	checkRace(t, cs, attempts)
}

// race performs one attempt: a read on reader, a short pause, and a write
// on writer with If-Match from the read.
func race(a *attempt, reader, writer *client, rng *rand.Rand) {
	var env envelope
	r, err := reader.expect(200, &env, "GET", a.k.path+"/"+a.id, nil)
	if err != nil {
		a.err = err
		return
	}
	a.read = env.RevisionInfo.RevisionID
	time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
	tag := r.header.Get("ETag")
	a.start = time.Now()
	if a.k == authors {
		d := decode[blog.Author](&env)
		d.Name = a.token
		r, err = writer.send("PUT", a.k.path+"/"+a.id, d, "If-Match", tag)
	} else {
		r, err = writer.send("PATCH", a.k.path+"/"+a.id, map[string]any{"body": a.token},
			"If-Match", tag, "Content-Type", "application/merge-patch+json")
	}
	a.end = time.Now()
	if err != nil {
		a.err = err
		return
	}
	a.status = r.status
	switch r.status {
	case 200:
		var out envelope
		if err := json.Unmarshal(r.body, &out); err != nil {
			a.err = err
			return
		}
		a.revision = out.RevisionInfo.RevisionID
		if out.RevisionInfo.ParentRevisionID != nil {
			a.parent = *out.RevisionInfo.ParentRevisionID
		}
	case 412:
		if code := problemCode(r.body); code != "PRECONDITION_FAILED" {
			a.err = fmt.Errorf("412 with code %q: %s", code, short(r.body))
		}
	default:
		a.err = fmt.Errorf("status %d, want 200 or 412: %s", r.status, short(r.body))
	}
}

// checkRace checks the outcome of the race (see TestIfMatchThreeInstances).
func checkRace(t *testing.T, cs []*client, attempts []attempt) {
	t.Helper()
	accepted := make(map[string]*attempt) // by revision id
	child := make(map[string]*attempt)    // accepted write by the revision it replaced
	perTarget := make(map[string]int)
	conflicts := 0
	for i := range attempts {
		a := &attempts[i]
		switch {
		case a.err != nil:
			t.Errorf("%s on %s %s: %v", a.token, a.k.name, a.id, a.err)
		case a.status == 200:
			if a.parent != a.read {
				t.Errorf("%s: revision %s has the parent %s, but its writer read %s", a.token, a.revision, a.parent, a.read)
			}
			if other := accepted[a.revision]; other != nil {
				t.Errorf("%s and %s were both answered with revision %s", other.token, a.token, a.revision)
			}
			if other := child[a.parent]; other != nil {
				t.Errorf("%s and %s both replaced revision %s: one update is lost", other.token, a.token, a.parent)
			}
			accepted[a.revision], child[a.parent] = a, a
			perTarget[a.id]++
		default:
			conflicts++
		}
	}
	if t.Failed() {
		return
	}
	// Every 412 was a real conflict: an accepted write replaced the
	// revision read, and was sent before the 412 came back.
	for i := range attempts {
		a := &attempts[i]
		if a.status != 412 {
			continue
		}
		s := child[a.read]
		switch {
		case s == nil:
			t.Errorf("%s got 412 with If-Match %s, which no accepted write replaced", a.token, a.read)
		case !s.start.Before(a.end):
			t.Errorf("%s got 412 with If-Match %s at %s, before %s replaced it (sent at %s)",
				a.token, a.read, a.end.Format(time.StampMicro), s.token, s.start.Format(time.StampMicro))
		}
	}
	// Nothing lost: each resource's chain is revision 1 and exactly the
	// accepted writes, with their writers' data, on every instance.
	for id, n := range perTarget {
		a := findAttempt(attempts, id)
		var cur string
		for i, c := range cs {
			var env envelope
			if _, err := c.expect(200, &env, "GET", a.k.path+"/"+id, nil); err != nil {
				t.Fatal(err)
			}
			if env.Meta.TotalRevisionCount != n+1 {
				t.Errorf("%s %s on instance %d: total_revision_count %d, want %d accepted + 1", a.k.name, id, i, env.Meta.TotalRevisionCount, n)
			}
			if i > 0 && env.Meta.CurrentRevisionID != cur {
				t.Errorf("%s %s: instance %d reads current revision %s, instance 0 %s", a.k.name, id, i, env.Meta.CurrentRevisionID, cur)
			}
			cur = env.Meta.CurrentRevisionID
		}
		seen := 0
		for rev := cur; rev != resource.RevisionID(id, 1); seen++ {
			w := accepted[rev]
			if seen > n {
				t.Fatalf("%s %s: the chain from %s is longer than the %d accepted writes", a.k.name, id, cur, n)
			}
			if w == nil {
				t.Fatalf("%s %s: revision %s on the chain was answered to no writer", a.k.name, id, rev)
			}
			var rb revisionBody
			if _, err := cs[seen%len(cs)].expect(200, &rb, "GET", a.k.path+"/"+id+"/revisions/"+url.PathEscape(rev), nil); err != nil {
				t.Fatal(err)
			}
			var got string
			if a.k == authors {
				got = decodeRaw[blog.Author](rb.Data).Name
			} else if b := decodeRaw[blog.Post](rb.Data).Body; b != nil {
				got = *b
			}
			if got != w.token {
				t.Errorf("%s %s revision %s holds %q, its writer wrote %q", a.k.name, id, rev, got, w.token)
			}
			rev = w.parent
		}
		if seen != n {
			t.Errorf("%s %s: the chain holds %d accepted writes, want %d", a.k.name, id, seen, n)
		}
	}
	t.Logf("%d attempts on %d resources over %d instances: %d accepted, %d refused with 412 (every one a real conflict)",
		len(attempts), len(perTarget), len(cs), len(accepted), conflicts)
	if len(accepted) == 0 || conflicts == 0 {
		t.Errorf("%d accepted, %d conflicts: the race did not race", len(accepted), conflicts)
	}
}

// findAttempt returns an attempt on resource id.
func findAttempt(attempts []attempt, id string) *attempt {
	for i := range attempts {
		if attempts[i].id == id {
			return &attempts[i]
		}
	}
	return nil
}
