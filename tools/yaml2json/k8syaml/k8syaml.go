// Package k8syaml reads YAML exactly as Kubernetes reads manifests and Helm reads values files: through
// sigs.k8s.io/yaml, whose YAML 1.1 scalars make `on`, `yes`, `0x1F` or `1_000` booleans and numbers.
// tools/yaml2json and tools/helm-render share it, so every comparison in the tests parses one way.
package k8syaml

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// Documents converts a multi-document YAML stream to one JSON value per document, dropping empty
// (null) documents, as `kubectl apply -f` does.
func Documents(in []byte) ([]json.RawMessage, error) {
	docs := []json.RawMessage{}
	parts, err := split(in)
	if err != nil {
		return nil, err
	}
	for _, doc := range parts {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%v in document:\n%s", err, doc)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		docs = append(docs, j)
	}
	return docs, nil
}

// Values reads a values file as `helm template -f` does (sigs.k8s.io/yaml.Unmarshal into a map). A file
// with several non-empty documents is refused: helm 3 reads only the first one and helm 4 merges them all,
// so such a file has no single meaning.
func Values(in []byte) (map[string]any, error) {
	parts, err := split(in)
	if err != nil {
		return nil, err
	}
	if len(parts) > MaxValuesDocuments {
		return nil, fmt.Errorf("%d YAML documents: a values file is one document (at most %d separators are read)", len(parts), MaxValuesDocuments-1)
	}
	var found []map[string]any
	for _, doc := range parts {
		if err := boundedSize(doc); err != nil {
			return nil, err
		}
		var top any
		if err := yaml.Unmarshal(doc, &top); err != nil {
			return nil, err
		}
		switch top.(type) {
		case nil:
			continue
		case map[string]any:
		default:
			return nil, fmt.Errorf("a values file is a map of keys to values, not %s", kind(top))
		}
		if err := distinctKeys(doc); err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) > 0 {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return map[string]any{}, nil
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("%d YAML documents: helm 3 reads only the first and helm 4 merges them, write one document", len(found))
	}
}

// distinctKeys refuses a document where two different keys of one map become the same JSON key (`on`
// and "true" both become "true"): Helm keeps one of their values at random (Go map order), so such a
// file has no single meaning.
// MaxValuesDocuments bounds the documents of a values file: each costs a parse, even an empty one.
const MaxValuesDocuments = 100

// MaxValuesBytes bounds the text of a values document once its aliases are expanded. An alias repeats a
// node without repeating its text, and go-yaml bounds the number of aliases, not their size: 200 aliases
// of a 2 MB string read as 400 MB, which sigs.k8s.io/yaml copies several times over (gigabytes).
const MaxValuesBytes = 64 << 20

// boundedSize refuses a document whose keys and scalars total more than MaxValuesBytes. go-yaml's own
// decoding shares the text of an aliased string, so it is counted here before anything copies it.
func boundedSize(doc []byte) error {
	var root any
	if err := goyaml.Unmarshal(doc, &root); err != nil {
		return err
	}
	total := 0
	var walk func(v any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case map[any]any:
			for k, x := range t {
				if !walk(k) || !walk(x) {
					return false
				}
			}
		case []any:
			for _, x := range t {
				if !walk(x) {
					return false
				}
			}
		case string:
			total += len(t)
		default:
			total += 8
		}
		return total <= MaxValuesBytes
	}
	if !walk(root) {
		return fmt.Errorf("reads as more than %d bytes of values once its aliases are expanded", MaxValuesBytes)
	}
	return nil
}

func distinctKeys(doc []byte) error {
	var root goyaml.MapSlice
	if err := goyaml.Unmarshal(doc, &root); err != nil {
		return err
	}
	return walkKeys(root, "")
}

func walkKeys(v any, path string) error {
	switch t := v.(type) {
	case goyaml.MapSlice:
		seen := map[string]any{}
		for _, item := range t {
			key, err := jsonKey(item.Key)
			if err != nil {
				return err
			}
			if prev, ok := seen[key]; ok && prev != item.Key {
				return fmt.Errorf("%skeys %s and %s are both the key %q: Helm keeps either value", at(path), show(prev), show(item.Key), key)
			}
			seen[key] = item.Key
			if err := walkKeys(item.Value, path+"."+key); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range t {
			if err := walkKeys(x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonKey is the JSON key sigs.k8s.io/yaml makes of a YAML key (true for `on`, "1000" for `1e3`).
func jsonKey(k any) (string, error) {
	y, err := goyaml.Marshal(map[any]any{k: nil})
	if err != nil {
		return "", err
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return "", err
	}
	for s := range m {
		return s, nil
	}
	return "", fmt.Errorf("no key in %s", j)
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return strings.TrimPrefix(path, ".") + ": "
}

func show(k any) string {
	b, _ := json.Marshal(k)
	if s, ok := k.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%s (%T)", b, k)
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int64:
		return "a number"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// split cuts the stream at "---" separator lines, as k8s.io/apimachinery's YAML reader does.
func split(in []byte) ([][]byte, error) {
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
		return nil, s.Err()
	}
	return append(docs, cur.Bytes()), nil
}
