/**
 * YAML for raw manifests, quoted so Kubernetes reads every string back as a string.
 *
 * Kubernetes parses manifests with sigs.k8s.io/yaml (go-yaml, YAML 1.1 and lenient): it reads `yes`, `on`,
 * `1_000`, `-_8`, `0X2` or `0o17` unquoted as booleans or numbers. cdk8s' writer (the `yaml` package, even
 * in 1.1 mode) leaves some of those plain, so a label value "0X2" would reach the API server as 2. Here a
 * string stays plain only when it cannot be anything else in any YAML dialect; every other one is quoted.
 */
import YAML, { isScalar, Scalar } from 'yaml';

const SAFE_PLAIN = /^[A-Za-z][A-Za-z0-9._/-]*$/;
const WORDS = /^(y|n|yes|no|on|off|true|false|null|nan|inf)$/i;

function needsQuotes(s: string): boolean {
  return !SAFE_PLAIN.test(s) || WORDS.test(s);
}

/** One YAML document per object, separated by `---`, strings quoted where any YAML reader could misread them. */
export function manifestsToYaml(objects: readonly unknown[]): string {
  return objects
    .map((o) => {
      const doc = new YAML.Document(o, { version: '1.1' });
      YAML.visit(doc, {
        Scalar(_key, node) {
          if (isScalar(node) && typeof node.value === 'string' && needsQuotes(node.value) && !node.value.includes('\n')) {
            node.type = Scalar.QUOTE_DOUBLE;
          }
        },
      });
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
