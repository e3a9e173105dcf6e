// Placeholder that marks the module root: tools/kube-validate is built against one Kubernetes release at a
// time with `go build -modfile=k8s-X.Y.mod` (lib/tooling/kube-validate.ts), never with this file.
module chart-as-code/tools/kube-validate

go 1.22
