package resource

// prune applies the retention policy of k to the resource rec after a write
// that added a revision. It keeps:
//
//   - the current revision;
//   - with KeepLast > 0: the first KeepLast ancestors of the current
//     revision along the parent chain, and the KeepLast newest revisions by
//     number; every other revision is pruned;
//   - with MaxAge > 0: every revision updated within MaxAge, and the first
//     KeepLast (at least 1) members of the current chain; older revisions
//     are pruned.
//
// Revision numbers are never reused: Meta.TotalRevisionCount keeps
// counting pruned revisions.
func (t *writeTx) prune(k *Kind, rec *Record) error {
	if k.KeepLast <= 0 && k.MaxAge <= 0 {
		return nil
	}
	id := rec.Meta.ResourceID
	infos, err := t.w.Revisions(k, id)
	if err != nil {
		return err
	}
	// depth: position of each chain member, 0 for the current revision.
	depth := chainDepths(rec.Current, infos)
	cutoff := t.now.Add(-k.MaxAge)
	ageKeep := max(k.KeepLast, 1)
	var drop []int
	for rank, info := range infos { // newest first, so rank orders by number
		d, inChain := depth[info.Number]
		if info.Number == rec.Current.Number {
			continue
		}
		if k.KeepLast > 0 && !(inChain && d <= k.KeepLast) && rank >= k.KeepLast {
			drop = append(drop, info.Number)
			continue
		}
		if k.MaxAge > 0 && info.UpdatedTime.Before(cutoff) && !(inChain && d < ageKeep) {
			drop = append(drop, info.Number)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	t.s.logger.Debug("prune revisions", "kind", k.Name, "id", id, "numbers", drop)
	return t.w.DeleteRevisions(k, id, drop)
}

// chainDepths maps the number of each stored member of the current chain
// (the current revision and its ancestors up to the first missing parent)
// to its distance from the current revision.
func chainDepths(current RevisionInfo, infos []RevisionInfo) map[int]int {
	byID := make(map[string]*RevisionInfo, len(infos))
	for i := range infos {
		byID[infos[i].RevisionID] = &infos[i]
	}
	depth := make(map[int]int)
	for d, info := 0, byID[current.RevisionID]; info != nil; d++ {
		if _, seen := depth[info.Number]; seen {
			break // defensive: a malformed parent cycle
		}
		depth[info.Number] = d
		if info.ParentRevisionID == nil {
			break
		}
		info = byID[*info.ParentRevisionID]
	}
	return depth
}

// chain returns the stored members of the current chain, current first.
func chain(current RevisionInfo, infos []RevisionInfo) []RevisionInfo {
	depth := chainDepths(current, infos)
	out := make([]RevisionInfo, len(depth))
	for _, info := range infos {
		if d, ok := depth[info.Number]; ok {
			out[d] = info
		}
	}
	return out
}
