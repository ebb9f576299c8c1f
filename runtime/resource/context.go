package resource

import "context"

// subjectKey is the context key of the acting subject.
type subjectKey struct{}

// Anonymous is the subject of requests that carry none.
const Anonymous = "anonymous"

// WithSubject returns a context whose writes are attributed to subject
// (created_by and updated_by). An empty subject means Anonymous.
func WithSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

// SubjectFrom returns the subject set by WithSubject, or Anonymous.
func SubjectFrom(ctx context.Context) string {
	if s, ok := ctx.Value(subjectKey{}).(string); ok && s != "" {
		return s
	}
	return Anonymous
}
