package gql

import (
	"bytes"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// graphiqlScripts are the scripts the page loads, in order; all must be in
// Options.GraphiQL.
var graphiqlScripts = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql-init.js"}

// graphiqlPage is the GraphiQL page. Every URL in it is relative to the
// endpoint, so the page works wherever the handler is mounted and loads
// nothing from another origin.
var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL</title>
<link rel="stylesheet" href="{{.Base}}/assets/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Base}}">Loading GraphiQL…</div>
{{range .Scripts}}<script src="{{$.Base}}/assets/{{.}}"></script>
{{end}}</body>
</html>
`))

// graphiqlCSP allows the page nothing but its own origin (GraphiQL
// injects inline styles and shows data: icons).
const graphiqlCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// serveGraphiQL answers a browser's GET of the endpoint with the page.
func serveGraphiQL(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	data := struct {
		Base    string
		Scripts []string
	}{Base: path.Base(r.URL.Path), Scripts: graphiqlScripts}
	if err := graphiqlPage.Execute(&buf, data); err != nil {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", graphiqlCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept")
	_, _ = w.Write(buf.Bytes())
}

// assetPath reports whether p names a GraphiQL asset, ".../assets/<name>",
// and returns the name.
func assetPath(p string) (string, bool) {
	dir, name := path.Split(p)
	if path.Base(strings.TrimSuffix(dir, "/")) != AssetsDir || name == "" {
		return "", false
	}
	return name, true
}

// serveAsset serves one GraphiQL file, cacheable for a day.
func serveAsset(w http.ResponseWriter, r *http.Request, assets fs.FS, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := fs.ReadFile(assets, name)
	if err != nil || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=86400")
	// Embedded files have no modification time; ServeContent then sends
	// no Last-Modified, and clients revalidate by max-age alone.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}
