/**
 * Secrets a chart manages: values the user gave, keys generated once inside the cluster, or the user's
 * own Secret (`existingSecret`). No generated value is ever rendered: the chart declares which keys to
 * generate (annotation `chart-as-code/generate`) and the CredentialGenerator Job fills in the missing
 * ones, so every synthesis and every `helm template` of the same values gives the same bytes.
 */
import { Construct } from 'constructs';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant, Value } from '../core/template';
import { Identity } from './identity';

/** How a missing key is generated. */
export interface GeneratedKey {
  readonly charset: 'alphanumeric' | 'numeric';
  readonly length: number;
}

/** One key of a managed Secret. */
export interface SecretKeySpec {
  /** The value the user gave; empty means not given. */
  readonly given: ValueOrConstant<string>;
  /**
   * Generate the key in the cluster when it is not given. A generated key is never overwritten, and the
   * Secret is kept on uninstall, so data encrypted or initialised with it stays usable.
   * @default - no generation: the given value is written, even when empty
   */
  readonly generate?: GeneratedKey;
}

export interface ManagedSecretProps {
  readonly identity: Identity;
  /** Product name of the Secret (before the namePrefix), e.g. "mdicapsrv-cred". */
  readonly name: string;
  readonly component: string;
  /** Name of a Secret the user manages; when set, nothing is created and this one is referenced. */
  readonly existingSecret: ValueOrConstant<string>;
  readonly keys: Record<string, SecretKeySpec>;
  /** Create the Secret only under this condition too. @default true */
  readonly enabled?: unknown;
}

/** Annotation naming the keys the CredentialGenerator fills in, e.g. "password:alphanumeric:24". */
export const GENERATE_ANNOTATION = 'chart-as-code/generate';
/** Prefix of the key under which an upgrade carries a value over from an older chart version. */
export const PREVIOUS_KEY_PREFIX = 'previous.';
/**
 * Argo CD sync waves: generated Secrets and the generator's RBAC first, then the generator Job, then the
 * workloads (wave 0), so under Argo CD no pod starts before its credentials exist.
 */
export const ARGO_BEFORE_GENERATOR = { 'argocd.argoproj.io/sync-wave': '-2' } as const;
export const ARGO_GENERATOR_WAVE = { 'argocd.argoproj.io/sync-wave': '-1' } as const;

/** `key:charset:length` for each generated key, comma-separated: the generator's instructions. */
export function generateSpec(keys: Record<string, SecretKeySpec>): string {
  return Object.entries(keys)
    .filter(([, spec]) => spec.generate)
    .map(([key, spec]) => `${key}:${spec.generate!.charset}:${spec.generate!.length}`)
    .join(',');
}

/**
 * A Secret that is either created by the chart (given values, keys generated in the cluster) or supplied
 * by the user (`existingSecret`, e.g. from an external secret manager; then nothing here touches it).
 */
export class ManagedSecret extends Construct {
  /** The name workloads reference: the user's Secret, or the one created here. */
  public readonly secretName: Value<string>;
  /** The name of the Secret created here (whether or not it is created). */
  public readonly ownName: Value<string>;
  /** `key:charset:length,...` of the generated keys; empty when none. */
  public readonly generateSpec: string;
  /** Condition: the Secret is created here and has keys to generate (the generator must run for it). */
  public readonly needsGenerator: ValueOrConstant<boolean>;

  constructor(scope: Construct, id: string, props: ManagedSecretProps) {
    super(scope, id);
    const render = Render.of(this);
    const name = props.identity.name(props.name);
    this.ownName = name;
    this.secretName = render.coalesce(props.existingSecret, name);
    this.generateSpec = generateSpec(props.keys);
    const created = render.and(props.enabled ?? true, render.not(props.existingSecret));
    const generated = Object.values(props.keys).filter((spec) => spec.generate);
    this.needsGenerator = generated.length > 0 ? render.and(created, render.or(...generated.map((spec) => render.not(spec.given)))) : false;

    const data: Record<string, ValueOrConstant<string>> = {};
    /** Whether each key of `data` is rendered: `data` is left out when none is (see below). */
    const rendered: unknown[] = [];
    for (const [key, spec] of Object.entries(props.keys)) {
      if (!spec.generate) {
        data[key] = render.b64(spec.given);
        rendered.push(true);
        continue;
      }
      // Only a value the user gave is rendered; otherwise the generator fills the key in the cluster.
      Object.assign(data, render.fieldsIf(spec.given, { [key]: render.b64(spec.given) }));
      // Upgrading from a chart version that rendered the generated value: Helm's three-way merge deletes
      // the key itself, so the value travels as previous.<key> and the generator puts it back.
      const previous = render.olderChartValue(name, key);
      Object.assign(data, render.fieldsIf(previous, { [`${PREVIOUS_KEY_PREFIX}${key}`]: previous }));
      rendered.push(spec.given, previous);
    }
    // No `data` without keys where nothing is looked up (helm template, Argo CD): Argo CD's diff reads
    // `data: {}` as "no keys", so a Secret the generator filled would stay OutOfSync. Against a cluster (helm
    // install, upgrade) `data: {}` is rendered in every revision: Helm 3's three-way merge and rollback delete
    // a whole data map one revision renders and the next does not, generated keys with it.
    const anyKey = rendered.includes(true) ? true : render.or(...rendered, render.againstCluster());
    render.when(created, () => {
      new KubeObject(this, 'Resource', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: props.identity.meta(
          props.name,
          props.component,
          this.generateSpec ? { keptOnUninstall: true, annotations: { [GENERATE_ANNOTATION]: this.generateSpec, ...ARGO_BEFORE_GENERATOR } } : {},
        ),
        type: 'Opaque',
        ...render.fieldsIf(anyKey, { data }),
      });
    });
  }
}
