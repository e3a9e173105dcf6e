//go:build tools

// Package tools pins the upstream main packages scripts/cluster/binaries.ts builds from this module
// (`go build k8s.io/kubernetes/cmd/<name>`), so `go mod tidy` records every dependency they need. The
// build tag keeps it out of normal builds: main packages cannot really be imported.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
