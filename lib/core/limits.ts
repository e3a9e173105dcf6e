/**
 * Kubernetes' own limits on object metadata, checked on every synthesized object: the last line behind the
 * values schemas, so that an object the API server would refuse (a user's own construct, a name built too
 * long) stops raw synthesis with a ChartError naming the object and the field, not at `kubectl apply`.
 */
import { ChartError } from './errors';
import { DNS_LABEL, DNS_SUBDOMAIN, LABEL_KEY, LABEL_KEY_LENGTHS, LABEL_VALUE, MAX_ANNOTATIONS_BYTES } from './schema';

const SUBDOMAIN = new RegExp(DNS_SUBDOMAIN);
const LABEL = new RegExp(DNS_LABEL);
/** Services are named by DNS-1035 labels: a letter first. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = new RegExp(LABEL_KEY);
const QUALIFIED_NAME_LENGTHS = new RegExp(LABEL_KEY_LENGTHS);
const LABEL_VALUE_RE = new RegExp(LABEL_VALUE);

/** Name rules stricter than a DNS-1123 subdomain of 253, by kind (the API server's validation). */
const NAME_RULES: Record<string, { re: RegExp; max: number; what: string }> = {
  Service: { re: DNS_1035_LABEL, max: 63, what: 'a DNS-1035 label (a letter first)' },
  Namespace: { re: LABEL, max: 63, what: 'a DNS-1123 label' },
  // A Job's name is its pods' `job-name` label value; a CronJob adds 11 characters to name its Jobs.
  Job: { re: SUBDOMAIN, max: 63, what: 'a DNS-1123 subdomain' },
  CronJob: { re: SUBDOMAIN, max: 52, what: 'a DNS-1123 subdomain' },
};
const DEFAULT_NAME_RULE = { re: SUBDOMAIN, max: 253, what: 'a DNS-1123 subdomain' };

type Obj = Record<string, unknown>;

function asMap(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** The problem with a label key, annotation key (`lowercase`: Kubernetes checks those lowercased) or undefined. */
function keyProblem(key: string, lowercase: boolean): string | undefined {
  const k = lowercase ? key.toLowerCase() : key;
  if (!QUALIFIED_NAME.test(k)) return 'is not a qualified name ([prefix/]name: alphanumerics, "-", "_", "." inside; a DNS subdomain prefix)';
  if (!QUALIFIED_NAME_LENGTHS.test(k)) return 'is too long (a prefix of at most 253 characters, a name of at most 63)';
  return undefined;
}

function checkMetadata(metadata: Obj | undefined, at: string, fail: (field: string, problem: string) => never): void {
  if (!metadata) return;
  const labels = asMap(metadata.labels);
  for (const [k, v] of Object.entries(labels ?? {})) {
    const problem = keyProblem(k, false);
    if (problem) fail(`${at}.labels[${JSON.stringify(k)}]`, `the key ${problem}`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE_RE.test(v)) {
      fail(`${at}.labels[${JSON.stringify(k)}]`, `the value ${JSON.stringify(v)} is not a label value (at most 63 alphanumerics, "-", "_", "." inside)`);
    }
  }
  const annotations = asMap(metadata.annotations);
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    const problem = keyProblem(k, true);
    if (problem) fail(`${at}.annotations[${JSON.stringify(k)}]`, `the key ${problem}`);
    if (typeof v !== 'string') fail(`${at}.annotations[${JSON.stringify(k)}]`, 'the value is not a string');
    total += Buffer.byteLength(k) + Buffer.byteLength(v as string);
  }
  if (total > MAX_ANNOTATIONS_BYTES) fail(`${at}.annotations`, `keys and values total ${total} bytes, over Kubernetes' limit of ${MAX_ANNOTATIONS_BYTES}`);
}

/** The pod template's metadata of a workload, where its kind has one. */
function podTemplateMetadata(obj: Obj): [string, Obj | undefined] | undefined {
  const spec = asMap(obj.spec);
  if (!spec) return undefined;
  if (obj.kind === 'CronJob') return ['spec.jobTemplate.spec.template.metadata', asMap(asMap(asMap(asMap(spec.jobTemplate)?.spec)?.template)?.metadata)];
  const template = asMap(spec.template);
  return template ? ['spec.template.metadata', asMap(template.metadata)] : undefined;
}

/**
 * Throws a ChartError (`<where>: <Kind> <name>: <field>: <problem>`) when an object breaks a limit the API
 * server enforces on metadata: its name and namespace, its labels' keys and values, its annotations' keys
 * and their total size (256 KiB), and the same for its pod template.
 */
export function checkObjectLimits(obj: Obj, where: string): void {
  const metadata = asMap(obj.metadata);
  const name = metadata?.name;
  const kind = String(obj.kind);
  const fail = (field: string, problem: string): never => {
    throw new ChartError(`${where}: ${kind} ${typeof name === 'string' ? name.slice(0, 80) : '(no name)'}: ${field}: ${problem}`);
  };
  if (typeof name === 'string') {
    const rule = NAME_RULES[kind] ?? DEFAULT_NAME_RULE;
    if (name.length > rule.max || !rule.re.test(name)) fail('metadata.name', `must be ${rule.what} of at most ${rule.max} characters (${name.length} given)`);
  }
  const namespace = metadata?.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !LABEL.test(namespace))) {
    fail('metadata.namespace', 'must be a DNS-1123 label of at most 63 characters');
  }
  checkMetadata(metadata, 'metadata', fail);
  const template = podTemplateMetadata(obj);
  if (template) checkMetadata(template[1], template[0], fail);
}
