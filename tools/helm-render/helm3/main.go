// helm-render for Helm 3: `helm template NAME CHART --namespace NS -f FILE` for many values files, with
// the chart loaded once (see ../serve.go for the protocol). It calls what cmd/helm's template command
// calls (values.Options.MergeValues, loader.Load, action.Install in client-only dry-run mode) and prints
// the manifests the same way; test/helm-render.test.ts checks it against the real CLI.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"

	render "chart-as-code/tools/helm-render"
)

func main() {
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	valuesFile := flag.String("values-file", "", "scratch file each request's values are written to")
	flag.Parse()
	if *chartDir == "" || *name == "" || *valuesFile == "" {
		render.Fail(fmt.Errorf("usage: helm-render --chart DIR --name NAME [--namespace NS] --values-file FILE"))
	}
	chrt, err := loader.Load(*chartDir)
	if err != nil {
		render.Fail(err)
	}
	switch chrt.Metadata.Type {
	case "", "application":
	default:
		render.Fail(fmt.Errorf("%s charts are not installable", chrt.Metadata.Type))
	}
	providers := getter.All(cli.New())
	render.Serve(*valuesFile, func(file string) (string, error) {
		return template(chrt, providers, *name, *namespace, file)
	})
}

func template(chrt *chart.Chart, providers getter.Providers, name, namespace, valuesFile string) (string, error) {
	vals, err := (&values.Options{ValueFiles: []string{valuesFile}}).MergeValues(providers)
	if err != nil {
		return "", err
	}
	// The flag defaults of `helm template` (cmd/helm/install.go addInstallFlags, template.go RunE).
	client := action.NewInstall(&action.Configuration{Log: func(string, ...interface{}) {}})
	client.DryRunOption = "true"
	client.DryRun = true
	client.ReleaseName = name
	client.Namespace = namespace
	client.Replace = true
	client.ClientOnly = true
	client.Timeout = 300 * time.Second
	client.APIVersions = chartutil.VersionSet([]string{})
	rel, err := client.RunWithContext(context.Background(), chrt, vals)
	if err != nil {
		if rel != nil {
			return "", fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
		}
		return "", err
	}
	var out bytes.Buffer
	fmt.Fprintln(&out, strings.TrimSpace(rel.Manifest))
	for _, m := range rel.Hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.Path, m.Manifest)
	}
	return out.String(), nil
}
