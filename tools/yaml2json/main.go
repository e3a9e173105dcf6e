// yaml2json parses YAML exactly as Kubernetes clients, the API server and Helm read it (sigs.k8s.io/yaml,
// YAML 1.1 scalars), so that no JavaScript YAML dialect decides what a manifest or a values file means.
//
//	yaml2json            a multi-document stream on stdin -> one JSON array of its documents
//	yaml2json --values   a values file on stdin -> the JSON object Helm reads from it (`helm -f`)
//	yaml2json --lines    many requests, one JSON line each: {"stream": text} or {"values": text} ->
//	                     {"docs": [...]}, {"values": {...}} or {"error": "..."}, one line per request
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"chart-as-code/tools/yaml2json/k8syaml"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "":
		in := readAll()
		docs, err := k8syaml.Documents(in)
		if err != nil {
			fail(err)
		}
		write(docs)
	case "--values":
		values, err := k8syaml.Values(readAll())
		if err != nil {
			fail(err)
		}
		write(values)
	case "--lines":
		serveLines()
	default:
		fail(fmt.Errorf("unknown argument %q (expected nothing, --values or --lines)", mode))
	}
}

type request struct {
	Stream *string `json:"stream"`
	Values *string `json:"values"`
}

func serveLines() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var req request
			var resp map[string]any
			if err := json.Unmarshal(line, &req); err != nil {
				fail(fmt.Errorf("bad request line: %v", err))
			}
			switch {
			case req.Stream != nil:
				docs, err := k8syaml.Documents([]byte(*req.Stream))
				resp = answer("docs", docs, err)
			case req.Values != nil:
				values, err := k8syaml.Values([]byte(*req.Values))
				resp = answer("values", values, err)
			default:
				fail(fmt.Errorf("request has neither stream nor values: %s", line))
			}
			if err := enc.Encode(resp); err != nil {
				fail(err)
			}
			// Answer each request at once: the caller may wait for it before sending the next.
			if in.Buffered() == 0 {
				if err := out.Flush(); err != nil {
					fail(err)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
		}
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

func answer(key string, value any, err error) map[string]any {
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return map[string]any{key: value}
}

func readAll() []byte {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	return in
}

func write(v any) {
	out, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "yaml2json:", err)
	os.Exit(1)
}
