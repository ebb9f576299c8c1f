package migrategen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/model"
)

// addData records the data fields and schema version of every resource
// of m in snapshot s (made from m's kinds).
func addData(s *Snapshot, m *model.Model) {
	for _, r := range m.Resources {
		if k := s.kind(r.Table); k != nil {
			k.SchemaVersion = max(1, r.SchemaVersion)
			k.Data = []SnapshotData{}
			walkData(r.Fields, "", nil, func(f *model.Field, path string, _ []string) {
				k.Data = append(k.Data, SnapshotData{Path: path, Type: dataType(f)})
			})
		}
	}
}

// walkData calls fn for every stored field of fields, nested ones after
// their object, with its dotted path and the paths it may have had in
// earlier snapshots (renamed_from, of the field and of its objects).
func walkData(fields []*model.Field, prefix string, olds []string, fn func(f *model.Field, path string, olds []string)) {
	for _, f := range fields {
		if f.WriteOnly {
			continue
		}
		path := prefix + f.Name
		var fOlds []string
		for _, name := range append([]string{f.Name}, f.RenamedFrom...) {
			if prefix == "" {
				fOlds = append(fOlds, name)
				continue
			}
			for _, o := range olds {
				fOlds = append(fOlds, o+"."+name)
			}
		}
		fn(f, path, fOlds)
		if f.Type == model.Object {
			walkData(f.Fields, path+".", fOlds, fn)
		}
	}
}

// dataType is the type of a stored field as a snapshot records it.
func dataType(f *model.Field) string {
	if f.Type == model.List && f.Elem != nil {
		return "list of " + string(f.Elem.Type)
	}
	return string(f.Type)
}

// compatibleTypes reports whether values stored under type from are
// values of type to: the JSON strings of string, text, email, url, uuid
// and enum read as one another (a tighter rule applies at the next
// write), and integers are floats.
func compatibleTypes(from, to string) bool {
	if from == to {
		return true
	}
	if a, ok := strings.CutPrefix(from, "list of "); ok {
		b, ok := strings.CutPrefix(to, "list of ")
		return ok && compatibleTypes(a, b)
	}
	text := []string{"string", "text", "email", "url", "uuid", "enum"}
	return slices.Contains(text, from) && slices.Contains(text, to) || from == "int" && to == "float"
}

// EvolutionError is returned by Files when a spec change would leave
// stored data unreadable: a field whose type changed incompatibly without
// a higher schema_version, or a schema_version that went down.
type EvolutionError struct {
	Problems []string
}

func (e *EvolutionError) Error() string { return strings.Join(e.Problems, "\n") }

// dataChanges compares the data fields of each resource of m with the
// snapshot old (an earlier generation) and returns the removed fields
// ("Post.legacy", destructive) and the problems of an EvolutionError.
// Resources and snapshots without recorded data are skipped. renamedFrom
// maps a table to the old table it was renamed from.
func dataChanges(old *Snapshot, m *model.Model, renamedFrom map[string]string) (removed, problems []string) {
	for _, r := range m.Resources {
		table := r.Table
		if from, ok := renamedFrom[table]; ok {
			table = from
		}
		ok := old.kind(table)
		if ok == nil || ok.Data == nil {
			continue
		}
		before := make(map[string]string, len(ok.Data))
		for _, d := range ok.Data {
			before[d.Path] = d.Type
		}
		raised := r.SchemaVersion > ok.SchemaVersion && ok.SchemaVersion > 0
		if ok.SchemaVersion > 0 && r.SchemaVersion < ok.SchemaVersion {
			problems = append(problems, fmt.Sprintf("resource %s: schema_version went down from %d to %d: it only goes up (stored data says which version wrote it)",
				r.Name, ok.SchemaVersion, r.SchemaVersion))
		}
		kept := make(map[string]bool)
		walkData(r.Fields, "", nil, func(f *model.Field, path string, olds []string) {
			for _, o := range olds {
				t, had := before[o]
				if !had {
					continue
				}
				kept[o] = true
				if now := dataType(f); !compatibleTypes(t, now) && !raised {
					problems = append(problems, fmt.Sprintf(
						"field %s.%s: its type changed from %s to %s, but stored values keep the old type: "+
							"raise schema_version of %s to %d and convert them in %s (%s), or keep the type",
						r.Name, path, t, now, r.Name, max(1, ok.SchemaVersion)+1, r.UpgradeFunc(), r.UpgradeFile()))
				}
				return
			}
		})
		for _, d := range ok.Data {
			if kept[d.Path] {
				continue
			}
			parent, _, nested := cutLast(d.Path)
			if nested && !kept[parent] {
				continue // its object went: one report
			}
			if !raised {
				removed = append(removed, r.Name+"."+d.Path)
			}
		}
	}
	return removed, problems
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(path string) (string, string, bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", path, false
	}
	return path[:i], path[i+1:], true
}
