// Package templates holds the non-Go assets that the generator and the CLI
// embed: the files `specstar init` scaffolds today, and the admin pages,
// API docs bundles and GraphQL schema templates as they arrive. Embedding
// cannot reach ".." from other packages, so the assets live here and are
// exported as one file system.
package templates

import "embed"

// FS holds every asset, addressed by slash paths such as
// "init/specstar.yaml". docs/ is the page runtime/server serves at /docs
// (index.html) and its vendored Swagger UI (docs/assets/); graphiql/ holds
// the vendored GraphiQL that the GraphQL handler serves to browsers at
// /graphql; admin/ holds the admin's page templates (runtime/admin) and its
// assets (admin/assets: CSS, script, vendored htmx with its licence).
//
//go:embed init docs graphiql admin
var FS embed.FS
