//go:build tools

// Package tools pins the upstream main package built from this module (`go build github.com/argoproj/argo-cd/v3/cmd`).
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
