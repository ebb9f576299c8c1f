//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

type post struct {
	Title spec.Text
}
