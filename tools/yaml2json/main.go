// yaml2json reads a multi-document YAML stream on stdin and prints the documents as one JSON array,
// parsed exactly as Kubernetes clients and the API server read manifests (sigs.k8s.io/yaml, YAML 1.1
// scalars). Tests compare renderings through it so that no JavaScript YAML dialect decides equality.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var docs []json.RawMessage
	for _, doc := range split(in) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			fail(fmt.Errorf("%v in document:\n%s", err, doc))
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		docs = append(docs, j)
	}
	if docs == nil {
		docs = []json.RawMessage{}
	}
	out, err := json.Marshal(docs)
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

// split cuts the stream at "---" separator lines, as k8s.io/apimachinery's YAML reader does.
func split(in []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	s := bufio.NewScanner(bytes.NewReader(in))
	s.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for s.Scan() {
		line := s.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	if s.Err() != nil {
		fail(s.Err())
	}
	return append(docs, cur.Bytes())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "yaml2json:", err)
	os.Exit(1)
}
