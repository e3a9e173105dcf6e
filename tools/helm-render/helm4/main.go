// helm-render for Helm 4: `helm template NAME CHART --namespace NS -f FILE` for many values files, with
// the chart loaded once (see ../serve.go for the protocol). It calls what pkg/cmd's template command
// calls (values.Options.MergeValues, loader.Load, action.Install with the client dry-run strategy) and
// prints the manifests the same way; test/helm-render.test.ts checks it against the real CLI.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	release "helm.sh/helm/v4/pkg/release/v1"

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
	ac, err := chart.NewAccessor(chrt)
	if err != nil {
		render.Fail(err)
	}
	switch t := ac.MetadataAsMap()["Type"]; t {
	case "", "application":
	default:
		render.Fail(fmt.Errorf("%s charts are not installable", t))
	}
	providers := getter.All(cli.New())
	// The CLI logs at warning level and above only with --debug off; keep stdout/stderr for the protocol.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil)).Handler()
	render.Serve(*valuesFile, func(file string) (string, error) {
		return template(chrt, providers, logger, *name, *namespace, file)
	})
}

func template(chrt chart.Charter, providers getter.Providers, logger slog.Handler, name, namespace, valuesFile string) (string, error) {
	vals, err := (&values.Options{ValueFiles: []string{valuesFile}}).MergeValues(providers)
	if err != nil {
		return "", err
	}
	// The flag defaults of `helm template` (pkg/cmd/install.go addInstallFlags, template.go RunE).
	cfg := action.NewConfiguration()
	cfg.SetLogger(logger)
	client := action.NewInstall(cfg)
	client.DryRunStrategy = action.DryRunClient
	client.ReleaseName = name
	client.Namespace = namespace
	client.Replace = true
	client.Timeout = 300 * time.Second
	client.APIVersions = common.VersionSet([]string{})
	ri, err := client.RunWithContext(context.Background(), chrt, vals)
	rel, rerr := toRelease(ri)
	if rerr != nil {
		return "", rerr
	}
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

// toRelease is pkg/cmd's releaserToV1Release.
func toRelease(r any) (*release.Release, error) {
	switch r := r.(type) {
	case release.Release:
		return &r, nil
	case *release.Release:
		return r, nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("unsupported release type: %T", r)
	}
}
