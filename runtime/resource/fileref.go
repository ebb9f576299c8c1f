package resource

// File is the value of a file field: the metadata of an uploaded blob. The
// bytes live in the blob store under ID; the data of a revision holds only
// this reference, so revisions stay small and files are deduplicated by hash.
type File struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}
