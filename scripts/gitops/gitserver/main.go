// gitserver: the GitOps suite's git host. Serves the bare repositories under -root over HTTP on
// 127.0.0.1 (github.com/fluxcd/pkg/gittestserver; a repository is created on its first push) until
// SIGTERM. Prints "listening <base URL>" once it serves; the port is the test server's own choice.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fluxcd/pkg/gittestserver"
)

func main() {
	root := flag.String("root", "", "directory of the bare repositories")
	flag.Parse()
	if *root == "" {
		fmt.Fprintln(os.Stderr, "gitserver: -root is required")
		os.Exit(2)
	}
	srv := gittestserver.NewGitServer(*root).AutoCreate()
	if err := srv.StartHTTP(); err != nil {
		fmt.Fprintln(os.Stderr, "gitserver:", err)
		os.Exit(1)
	}
	fmt.Println("listening", srv.HTTPAddress())
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
	srv.StopHTTP()
}
