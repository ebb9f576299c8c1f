package resource

// Action names one operation of a resource, as the Service performs it:
// the same name whether the call came from REST, GraphQL, a typed
// repository or a hook. Hooks, authorizers and (later) permission rules
// decide per action; generated code and the resolved model use the same
// strings (generator/model Operation.Action).
type Action string

// The actions of every resource.
const (
	ActionRead      Action = "read"      // GET /{res}/{id}; GraphQL post(id)
	ActionList      Action = "list"      // GET /{res}; GraphQL posts
	ActionCount     Action = "count"     // GET /{res}/count
	ActionCreate    Action = "create"    // POST /{res}
	ActionUpdate    Action = "update"    // PUT /{res}/{id}
	ActionPatch     Action = "patch"     // PATCH /{res}/{id}
	ActionDelete    Action = "delete"    // DELETE /{res}/{id} (soft)
	ActionRestore   Action = "restore"   // POST /{res}/{id}/restore
	ActionPurge     Action = "purge"     // DELETE /{res}/{id}/permanently
	ActionRevisions Action = "revisions" // GET /{res}/{id}/revisions
	ActionRevision  Action = "revision"  // GET /{res}/{id}/revisions/{rev}
	ActionDiff      Action = "diff"      // GET /{res}/{id}/revisions/{rev}/diff
	ActionSwitch    Action = "switch"    // POST /{res}/{id}/switch/{rev}
	ActionReferrers Action = "referrers" // GET /{res}/{id}/referrers
	ActionSubscribe Action = "subscribe" // GraphQL subscription postChanged
	// The downloads of a kind with file fields (runtime/files).
	ActionDownload     Action = "download"      // GET /{res}/{id}/files/{field}
	ActionDownloadItem Action = "download_item" // GET /{res}/{id}/files/{field}/{n}
)

// The actions of job resources (runtime/jobres) besides read, list, count,
// revisions, revision, diff and subscribe.
const (
	ActionEnqueue Action = "enqueue" // POST /jobs/{job}: create a job resource by enqueueing the job
	ActionCancel  Action = "cancel"  // POST /jobs/{job}/{id}/cancel
	ActionRerun   Action = "rerun"   // POST /jobs/{job}/{id}/rerun
	ActionLogs    Action = "logs"    // GET /jobs/{job}/{id}/logs
)

// Actions lists every action, in the order of the operations table.
func Actions() []Action {
	return []Action{
		ActionCreate, ActionList, ActionCount, ActionRead, ActionUpdate, ActionPatch,
		ActionDelete, ActionRestore, ActionPurge, ActionRevisions, ActionRevision,
		ActionDiff, ActionSwitch, ActionReferrers, ActionSubscribe,
	}
}

// FileActions lists the actions a kind with file fields has besides
// Actions, in the order of its operations table.
func FileActions() []Action { return []Action{ActionDownload, ActionDownloadItem} }

// JobActions lists every action of a job resource, in the order of its
// operations table.
func JobActions() []Action {
	return []Action{
		ActionEnqueue, ActionList, ActionCount, ActionRead, ActionRevisions, ActionRevision,
		ActionDiff, ActionCancel, ActionRerun, ActionLogs, ActionSubscribe,
	}
}

// Rule returns the action whose permission rule governs a: the actions a
// spec's permissions name (read, list, create, update, switch, delete,
// restore, purge). Reading history, referrers and change events is
// reading; counting is listing; a patch is an update. Of a job: an
// enqueue is a create, a cancel and a rerun are updates, reading its
// logs is reading.
func (a Action) Rule() Action {
	switch a {
	case ActionRevisions, ActionRevision, ActionDiff, ActionReferrers, ActionSubscribe, ActionDownload, ActionDownloadItem:
		return ActionRead
	case ActionCount:
		return ActionList
	case ActionPatch, ActionCancel, ActionRerun:
		return ActionUpdate
	case ActionEnqueue:
		return ActionCreate
	case ActionLogs:
		return ActionRead
	}
	return a
}

// Writes reports whether a changes stored data.
func (a Action) Writes() bool {
	switch a {
	case ActionCreate, ActionUpdate, ActionPatch, ActionDelete, ActionRestore, ActionPurge, ActionSwitch,
		ActionEnqueue, ActionCancel, ActionRerun:
		return true
	}
	return false
}
