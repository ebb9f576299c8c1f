package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/model"
)

// DescribeOptions are the inputs of specstar describe.
type DescribeOptions struct {
	IO       *IOStreams
	Getwd    func() (string, error)
	Validate func(ctx context.Context, cfg generator.Config) (*model.Model, error)
	Context  context.Context

	SpecPath string // -f; "" = specstar.yaml in the working directory
	JSON     bool   // --json
}

// NewCmdDescribe returns the describe command. runF, when not nil,
// replaces the real run function (for tests).
func NewCmdDescribe(f *Factory, runF func(*DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{IO: f.IO, Getwd: f.Getwd, Validate: f.Validate}
	cmd := &cobra.Command{
		Use:   "describe [-f spec] [--json]",
		Short: "Print the resolved model and every route with its permission rule",
		Long: "Describe loads and resolves the spec, as gen does, and prints what it\n" +
			"generates: each resource with its fields (type, constraints, index, unique,\n" +
			"refs), the resources that refer to it and its jobs, then every route (method,\n" +
			"path, operationId, GraphQL field) with the permission rule that governs it.\n" +
			"It needs no Go module. --json prints the same as one JSON document.",
		Example: "  specstar describe\n  specstar describe -f api/specstar.yaml --json",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return describeRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.SpecPath, "file", "f", "", "spec `file` (default: specstar.yaml in the current directory)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document instead of text")
	return cmd
}

func describeRun(opts *DescribeOptions) error {
	wd, err := opts.Getwd()
	if err != nil {
		return err
	}
	if err := checkSpecExists(wd, opts.SpecPath); err != nil {
		return err
	}
	m, err := opts.Validate(opts.Context, generator.Config{SpecPath: opts.SpecPath, Dir: wd})
	if err != nil {
		return err
	}
	d := describeModel(m)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	return d.write(opts.IO.Out)
}

// Description is what describe prints: the model as a user sees it.
type Description struct {
	Package   string                `json:"package"`
	Output    string                `json:"output"`
	Auth      *AuthDescription      `json:"auth,omitempty"`
	Resources []ResourceDescription `json:"resources"`
	Routes    []RouteDescription    `json:"routes"`
}

// AuthDescription is the auth block.
type AuthDescription struct {
	Roles []string `json:"roles"`
}

// ResourceDescription is one resource.
type ResourceDescription struct {
	Name          string             `json:"name"`
	Path          string             `json:"path"` // "/api/posts"
	Table         string             `json:"table"`
	SchemaVersion int                `json:"schema_version"`
	Kind          string             `json:"kind"` // "resource", "built-in", "internal", "job"
	DefaultSort   string             `json:"default_sort,omitempty"`
	Revisions     string             `json:"revisions,omitempty"` // "keep_last 100, max_age 720h"
	RenamedFrom   []string           `json:"renamed_from,omitempty"`
	Fields        []FieldDescription `json:"fields"`
	ReferredBy    []string           `json:"referred_by,omitempty"` // "Comment.post (restrict)"
	Job           *JobDescription    `json:"job,omitempty"`
}

// FieldDescription is one field; nested object fields follow their
// parent with a dotted path.
type FieldDescription struct {
	Path        string   `json:"path"`
	Type        string   `json:"type"` // "string", "list of string", "ref to Author", "enum(draft|published)"
	Constraints []string `json:"constraints,omitempty"`
}

// JobDescription is the job of a job resource.
type JobDescription struct {
	Name        string `json:"name"`
	MaxAttempts int    `json:"max_attempts"`
	Timeout     string `json:"timeout"`
	Schedule    string `json:"schedule,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	UniqueFor   string `json:"unique_for,omitempty"`
}

// RouteDescription is one operation of a resource.
type RouteDescription struct {
	Resource    string `json:"resource"`
	Method      string `json:"method,omitempty"` // "" for GraphQL only
	Path        string `json:"path,omitempty"`   // "/api/posts/{id}"
	OperationID string `json:"operation_id,omitempty"`
	GraphQL     string `json:"graphql,omitempty"` // "Mutation.createPost"
	Permission  string `json:"permission"`        // "update: owner | role:editor"
}

func describeModel(m *model.Model) *Description {
	d := &Description{Package: m.Package, Output: m.Output}
	if m.Auth != nil {
		d.Auth = &AuthDescription{Roles: m.Auth.Roles}
	}
	for _, r := range m.Resources {
		rd := ResourceDescription{
			Name:          r.Name,
			Path:          "/api/" + r.Path,
			Table:         r.Table,
			SchemaVersion: max(1, r.SchemaVersion),
			Kind:          "resource",
			DefaultSort:   r.DefaultSort,
			RenamedFrom:   r.RenamedFrom,
		}
		switch {
		case r.Job != nil:
			rd.Kind = "job"
		case r.Internal:
			rd.Kind = "internal"
		case r.Builtin:
			rd.Kind = "built-in"
		}
		if len(r.Operations) == 0 {
			rd.Path = "" // internal: storage only
		}
		var rev []string
		if r.KeepLast > 0 {
			rev = append(rev, "keep_last "+strconv.Itoa(r.KeepLast))
		}
		if r.MaxAge > 0 {
			rev = append(rev, "max_age "+duration(r.MaxAge))
		}
		rd.Revisions = strings.Join(rev, ", ")
		for _, f := range r.Fields {
			rd.Fields = appendFields(rd.Fields, f)
		}
		for _, f := range r.Referrers {
			owner := "?"
			if f.Owner != nil {
				owner = f.Owner.Name
			}
			rd.ReferredBy = append(rd.ReferredBy, fmt.Sprintf("%s.%s (on_delete %s)", owner, f.Path, onDelete(f)))
		}
		if j := r.Job; j != nil {
			rd.Job = &JobDescription{Name: j.Name, MaxAttempts: j.MaxAttempts, Timeout: duration(j.Timeout),
				Schedule: j.Schedule, Concurrency: j.Concurrency}
			if j.UniqueFor > 0 {
				rd.Job.UniqueFor = duration(j.UniqueFor)
			}
		}
		d.Resources = append(d.Resources, rd)
		for _, op := range r.Operations {
			rt := RouteDescription{Resource: r.Name, Method: op.Method, OperationID: op.OperationID, Permission: permission(op)}
			if op.Method != "" {
				rt.Path = "/api" + op.OpenAPIPath
			}
			if op.GraphQL.Root != "" {
				root := op.GraphQL.Root
				if root == model.GraphQLResource {
					root = r.GoName
				}
				rt.GraphQL = root + "." + op.GraphQL.Name
			}
			d.Routes = append(d.Routes, rt)
		}
	}
	return d
}

// appendFields appends f and, for an object, its fields.
func appendFields(out []FieldDescription, f *model.Field) []FieldDescription {
	out = append(out, FieldDescription{Path: f.Path, Type: fieldType(f), Constraints: constraints(f)})
	if f.Type == model.Object {
		for _, sub := range f.Fields {
			out = appendFields(out, sub)
		}
	}
	return out
}

// fieldType is the type of f as the spec would write it.
func fieldType(f *model.Field) string {
	switch f.Type {
	case model.List:
		if f.Elem != nil {
			return "list of " + fieldType(f.Elem)
		}
	case model.Enum:
		return "enum(" + strings.Join(f.Values, "|") + ")"
	case model.Ref:
		if f.Target != nil {
			return "ref to " + f.Target.Name
		}
	}
	return string(f.Type)
}

// constraints lists what the spec says of f besides its type.
func constraints(f *model.Field) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if f.Required {
		add("required")
	}
	if f.Default != nil {
		v, _ := json.Marshal(f.Default)
		add("default %s", v)
	}
	if f.Min != nil {
		add("min %s", strconv.FormatFloat(*f.Min, 'g', -1, 64))
	}
	if f.Max != nil {
		add("max %s", strconv.FormatFloat(*f.Max, 'g', -1, 64))
	}
	if f.MinLength != nil {
		add("min_length %d", *f.MinLength)
	}
	if f.MaxLength != nil {
		add("max_length %d", *f.MaxLength)
	}
	if f.Pattern != "" {
		add("pattern %q", f.Pattern)
	}
	if f.Type == model.Ref {
		add("on_delete %s", onDelete(f))
	}
	if f.MaxSize > 0 {
		add("max_size %d", f.MaxSize)
	}
	if len(f.Accept) > 0 {
		add("accept %s", strings.Join(f.Accept, ","))
	}
	if f.Unique {
		add("unique")
	}
	if f.Index || f.Type == model.Ref {
		add("index")
	}
	if f.Display {
		add("display")
	}
	if f.Read != "" {
		add("read %s", f.Read)
	}
	if f.Write != "" {
		add("write %s", f.Write)
	}
	if f.ReadOnly {
		add("read-only")
	}
	if f.WriteOnly {
		add("write-only")
	}
	for _, old := range f.RenamedFrom {
		add("renamed_from %s", old)
	}
	return out
}

// onDelete is the on_delete policy of a ref field, restrict by default.
func onDelete(f *model.Field) string {
	if f.OnDelete == "" {
		return "restrict"
	}
	return f.OnDelete
}

// permission is the rule that governs op: "update: owner | role:editor",
// or "anyone" without auth.
func permission(op *model.Operation) string {
	if op.Rule == nil {
		return "anyone (no auth)"
	}
	s := op.Permission + ": " + op.Rule.Source
	if op.Rule.Default {
		s += " (default)"
	}
	return s
}

// duration prints d without the zero units of time.Duration.String.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// write prints d as aligned text, without trailing spaces.
func (d *Description) write(out io.Writer) error {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "package %s, output %s/\n", d.Package, d.Output)
	if d.Auth != nil {
		fmt.Fprintf(w, "auth: roles %s\n", strings.Join(d.Auth.Roles, ", "))
	}
	for _, r := range d.Resources {
		if r.Path == "" {
			fmt.Fprintf(w, "\n%s  (%s, no routes; table %s; schema_version %d", r.Name, r.Kind, r.Table, r.SchemaVersion)
		} else {
			fmt.Fprintf(w, "\n%s  %s  (%s; table %s; schema_version %d", r.Name, r.Path, r.Kind, r.Table, r.SchemaVersion)
		}
		if r.DefaultSort != "" {
			fmt.Fprintf(w, "; default_sort %s", r.DefaultSort)
		}
		if r.Revisions != "" {
			fmt.Fprintf(w, "; revisions %s", r.Revisions)
		}
		if len(r.RenamedFrom) > 0 {
			fmt.Fprintf(w, "; renamed_from %s", strings.Join(r.RenamedFrom, ", "))
		}
		fmt.Fprintln(w, ")")
		if j := r.Job; j != nil {
			fmt.Fprintf(w, "  job %s: max_attempts %d, timeout %s", j.Name, j.MaxAttempts, j.Timeout)
			if j.Schedule != "" {
				fmt.Fprintf(w, ", schedule %q", j.Schedule)
			}
			if j.Concurrency > 0 {
				fmt.Fprintf(w, ", concurrency %d", j.Concurrency)
			}
			if j.UniqueFor != "" {
				fmt.Fprintf(w, ", unique_for %s", j.UniqueFor)
			}
			fmt.Fprintln(w)
		}
		for _, f := range r.Fields {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", f.Path, f.Type, strings.Join(f.Constraints, ", "))
		}
		// Lines without a tab do not widen the columns.
		for _, ref := range r.ReferredBy {
			fmt.Fprintf(w, "  referred to by %s\n", ref)
		}
	}
	fmt.Fprintln(w, "\nroutes:")
	fmt.Fprintln(w, "  METHOD\tPATH\tOPERATION\tGRAPHQL\tPERMISSION")
	for _, rt := range d.Routes {
		method, p := rt.Method, rt.Path
		if method == "" {
			method, p = "-", "-"
		}
		gql := rt.GraphQL
		if gql == "" {
			gql = "-"
		}
		op := rt.OperationID
		if op == "" {
			op = "-"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", method, p, op, gql, rt.Permission)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(out, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
