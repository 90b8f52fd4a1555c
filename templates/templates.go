// Package templates holds the text/template files for triggergen's non-Go
// outputs: the trigger catalog in Markdown and its Mermaid diagram.
package templates

import "embed"

// FS holds catalog.md.tmpl and diagram.mmd.tmpl.
//
//go:embed *.tmpl
var FS embed.FS
