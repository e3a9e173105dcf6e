// CoreDNS with only the plugins the pod test node needs: cluster DNS from the apiserver (kubernetes),
// bound to the node address (bind), with errors logged and answers cached. No forward plugin: names
// outside the cluster get no answer, so nothing is ever resolved outside the test's network namespace.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

func init() {
	// The order in which the plugins handle a query, as in CoreDNS's plugin.cfg.
	dnsserver.Directives = []string{"bind", "errors", "cache", "kubernetes"}
}

func main() {
	coremain.Run()
}
