package resource

import "context"

// This file is a stand-in for Service.Referrers, which is being written on
// main; it exists so that the ops-table branch builds and is deleted when
// the branches merge.

// ReferrerGroup lists the live resources that refer to one resource
// through one ref field.
type ReferrerGroup struct {
	Resource string   `json:"resource"` // kind name, "Comment"
	Path     string   `json:"path"`     // REST path segment, "comments"
	Field    string   `json:"field"`    // ref field JSON name, "post"
	IDs      []string `json:"ids"`      // live referrers, in id order
}

// Referrers returns, for every ref field that points at kind k, the live
// resources whose field holds id: 404 for an unknown id, 410 for a
// soft-deleted resource.
func (s *Service) Referrers(ctx context.Context, k *Kind, id string) ([]ReferrerGroup, error) {
	groups := []ReferrerGroup{}
	err := s.view(ctx, "referrers", func(r Reader) error {
		if _, err := record(r, k, id, false); err != nil {
			return err
		}
		for _, ref := range s.referrers[k.Name] {
			ids, err := r.Referrers(ref.kind, ref.field.JSON, id)
			if err != nil {
				return err
			}
			if ids == nil {
				ids = []string{}
			}
			groups = append(groups, ReferrerGroup{Resource: ref.kind.Name, Path: ref.kind.Path, Field: ref.field.JSON, IDs: ids})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return groups, nil
}
