/**
 * Objects checked against the Kubernetes API's own validation, offline (tools/kube-validate built from
 * k8s.io/kubernetes of each release): for every object, what the API server of that release would refuse
 * in a create request before admission: unknown fields and values of the wrong type (strict decoding of
 * built-in kinds), names, label and annotation syntax and size, and every rule of the kind's validation.
 * CustomResources get their metadata checked (their spec needs the CRD's schema, which only a cluster has).
 */
import { kubeValidateBinary, kubeValidateMinor, kubeValidateVersions } from '../tooling/kube-validate';
import { LineServer } from './lines';

export interface ValidationOptions {
  /**
   * The Kubernetes versions whose validation the objects must pass, as minors ("1.30") or releases.
   * @default every version validated offline: the oldest and newest supported (kubeValidateVersions())
   */
  readonly kubernetes?: readonly string[];
}

/** One rule an object breaks, as the API server of `kubernetes` words it. */
export interface ObjectValidationError {
  /** The minor whose validation refuses it, e.g. "1.30". */
  readonly kubernetes: string;
  /** The object's position in the array validated. */
  readonly index: number;
  readonly kind: string;
  readonly name: string;
  /** The field's path, e.g. "metadata.labels" or "spec.ports[0].port"; "" for the object as a whole. */
  readonly field: string;
  /** The rule, e.g. `Invalid value: 70000: must be between 1 and 65535, inclusive`. */
  readonly message: string;
}

interface Result {
  index: number;
  kind: string;
  name: string;
  errors: { field: string; message: string }[];
  warnings?: string[];
}

/** One `kube-validate --lines` per version: validates many arrays of objects with one process each. */
export class KubeValidator {
  readonly versions: readonly string[];
  private readonly servers: LineServer<unknown[], Result[]>[];

  constructor(opts: ValidationOptions = {}) {
    const wanted = opts.kubernetes ?? kubeValidateVersions();
    if (wanted.length === 0) throw new Error('kubernetes: give at least one version to validate with');
    this.versions = [...new Set(wanted.map(kubeValidateMinor))];
    const binaries = this.versions.map(kubeValidateBinary); // builds before any process starts
    this.servers = binaries.map((b, i) => new LineServer<unknown[], Result[]>(`kube-validate ${this.versions[i]}`, b, ['--lines']));
  }

  /** Every rule any object breaks, for every version; [] when all are valid. */
  async validate(objects: readonly unknown[]): Promise<ObjectValidationError[]> {
    if (objects.length === 0) return [];
    const answers = await Promise.all(this.servers.map((s) => s.request([...objects])));
    const out: ObjectValidationError[] = [];
    answers.forEach((results, v) => {
      for (const r of results) {
        for (const e of r.errors) out.push({ kubernetes: this.versions[v]!, index: r.index, kind: r.kind, name: r.name, field: e.field, message: e.message });
      }
    });
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }
}

/**
 * Validates objects (e.g. a rendering read with k8sYamlToJson) as the Kubernetes API server of each version
 * would on create, offline; resolves to every rule broken, [] when all are valid.
 *
 * ```ts
 * expect(formatValidationErrors(await validateObjects(objects, { kubernetes: ['1.30', '1.37'] }))).toEqual([]);
 * ```
 */
export async function validateObjects(objects: readonly unknown[], opts: ValidationOptions = {}): Promise<ObjectValidationError[]> {
  const validator = new KubeValidator(opts);
  try {
    return await validator.validate(objects);
  } finally {
    await validator.close();
  }
}

/**
 * One line per broken rule, the versions that refuse it merged:
 * `Deployment web: metadata.labels: Invalid value: "nginx:1.27": a valid label must be … (Kubernetes 1.30, 1.37)`.
 */
export function formatValidationErrors(errors: readonly ObjectValidationError[]): string[] {
  const lines = new Map<string, string[]>();
  for (const e of errors) {
    const what = `${e.kind || '(no kind)'} ${e.name || '(no name)'}: ${e.field ? `${e.field}: ` : ''}${e.message}`;
    const versions = lines.get(what) ?? [];
    if (!versions.includes(e.kubernetes)) versions.push(e.kubernetes);
    lines.set(what, versions);
  }
  return [...lines].map(([what, versions]) => `${what} (Kubernetes ${versions.join(', ')})`);
}
