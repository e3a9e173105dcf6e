// Package render is the request loop shared by the in-process `helm template` renderers (./helm3 and
// ./helm4, one per Helm major): each loads a chart once and renders it for many values files, so the
// tests can check thousands of values per chart instead of paying for a helm process each time.
//
// Protocol, one JSON line per request on stdin and one per answer on stdout, in order:
//
//	{"values": "<values file text>"}
//	-> {"docs": [...]}       the documents `helm template` prints, read as Kubernetes reads them
//	-> {"error": "..."}      the error `helm template` prints after "Error: "
//	-> {"yamlError": "..."}  helm rendered, but its output is not valid YAML
package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"chart-as-code/tools/yaml2json/k8syaml"
)

// Template renders the chart with the values file at valuesFile and returns what `helm template` writes
// to stdout, or the error it prints.
type Template func(valuesFile string) (string, error)

type request struct {
	Values *string `json:"values"`
}

// Serve answers requests until stdin closes. Each values text is written to valuesFile first, so helm
// reads it through its own -f code path (and names that file in its errors).
func Serve(valuesFile string, template Template) {
	// Thousands of short renders: less garbage collection for a little more memory (about 10% faster).
	debug.SetGCPercent(400)
	answers := make(chan []byte, 1<<16)
	done := make(chan struct{})
	go write(answers, done)
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			answers <- answer(line, valuesFile, template)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			Fail(err)
		}
	}
	close(answers)
	<-done
}

func answer(line []byte, valuesFile string, template Template) []byte {
	var req request
	if err := json.Unmarshal(line, &req); err != nil || req.Values == nil {
		Fail(fmt.Errorf("bad request line (want {\"values\": text}): %s", line))
	}
	if err := os.WriteFile(valuesFile, []byte(*req.Values), 0o600); err != nil {
		Fail(err)
	}
	var resp map[string]any
	out, err := template(valuesFile)
	if err != nil {
		resp = map[string]any{"error": err.Error()}
	} else if docs, err := k8syaml.Documents([]byte(out)); err != nil {
		resp = map[string]any{"yamlError": err.Error()}
	} else {
		resp = map[string]any{"docs": docs}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		Fail(err)
	}
	return append(b, '\n')
}

// write sends answers to stdout as they come, so rendering never waits for the reader of the answers.
func write(answers <-chan []byte, done chan<- struct{}) {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	for b := range answers {
		if _, err := out.Write(b); err != nil {
			Fail(err)
		}
		if len(answers) == 0 {
			if err := out.Flush(); err != nil {
				Fail(err)
			}
		}
	}
	if err := out.Flush(); err != nil {
		Fail(err)
	}
	close(done)
}

// Fail prints err and exits non-zero.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "helm-render:", err)
	os.Exit(1)
}
