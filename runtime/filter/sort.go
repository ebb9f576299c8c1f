package filter

import "strings"

// ParseSort parses a sort order: comma-separated field names, each
// optionally prefixed with "-" for descending order ("-views,title").
// Spaces around keys are ignored (not between "-" and the name). Every key must name one of fields that
// is not a list, at most once; every problem is reported, as an ErrorList
// sorted by position, with a suggestion for a near miss and the list of
// sortable fields.
//
// ParseSort does not add the resource_id tie-break: the caller appends it
// (unless the keys already name resource_id), so that the order is total.
// An empty or blank src is no sort: ParseSort returns nil, nil.
func ParseSort(src string, fields []FieldInfo) ([]SortKey, error) {
	errs := errorCollector{param: "sort"}
	if len(src) > MaxLength {
		errs.errorf(MaxLength+1, "sort is %d bytes long; at most %d are allowed", len(src), MaxLength)
		return nil, errs.err()
	}
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	sortable := fieldNames(fields, true)
	var keys []SortKey
	first := map[string]int{} // position of each key named so far
	start := 0
	for part := range strings.SplitSeq(src, ",") {
		pos, key := trimPos(part, start+1)
		start += len(part) + 1
		if key == "" {
			errs.errorf(pos, "empty sort key; separate field names with single commas, such as -views,title")
			continue
		}
		desc := strings.HasPrefix(key, "-")
		if desc {
			pos, key = pos+1, key[1:]
		}
		f, ok := lookup(fields, key)
		switch {
		case key == "" || isSpace(key[0]):
			errs.errorf(pos, "expected a field name right after \"-\", such as -views")
		case !ok:
			errs.errorf(pos, "unknown sort field %q%s; %s", key, didYouMean(suggest(key, sortable)), listFields("sortable", sortable))
		case f.List:
			errs.errorf(pos, "%s is %s and cannot be sorted on; %s", key, describeField(f), listFields("sortable", sortable))
		case first[key] != 0:
			errs.errorf(pos, "%s appears twice in the sort order (first at position %d)", key, first[key])
		default:
			first[key] = pos
			keys = append(keys, SortKey{Field: f, Desc: desc})
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return keys, nil
}

// trimPos trims spaces from s, which starts at position pos, and returns
// the position of the trimmed text.
func trimPos(s string, pos int) (int, string) {
	trimmed := strings.TrimLeft(s, " \t\n\r")
	pos += len(s) - len(trimmed)
	return pos, strings.TrimRight(trimmed, " \t\n\r")
}

// String returns the key as ParseSort reads it: "-views".
func (k SortKey) String() string {
	if k.Desc {
		return "-" + k.Field.Name
	}
	return k.Field.Name
}
