package admin

import (
	"html/template"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/templates"
)

// pageNames are the page templates under templates/admin; each is parsed
// with layout.html, which defines the page frame and the shared parts.
var pageNames = []string{"login", "dashboard", "list", "detail", "form", "diff", "confirm", "error", "password"}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"lower": strings.ToLower,
		"join":  strings.Join,
		"add":   func(a, b int) int { return a + b },
		"has":   slices.Contains[[]string],
		// dict passes several values to a template: dict "N" node "D" page.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templates.FS, "admin/layout.html", "admin/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// htmlEscape escapes text for HTML written outside templates.
func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
