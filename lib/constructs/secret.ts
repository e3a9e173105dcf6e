import { Construct } from 'constructs';
import { GeneratedValue, Render } from '../core/template';
import { Identity } from './identity';
import { Manifest } from '../core/manifest';

/** One key of a managed Secret. */
export interface SecretKeySpec {
  /** The value the user gave; empty means not given. */
  readonly given: string;
  /**
   * Generate a random value when none is given. Generated values are kept across `helm upgrade` (the live
   * Secret wins) and the Secret is kept on uninstall, so data encrypted with it stays readable.
   * @default - no generation: the given value is used, even when empty
   */
  readonly generate?: GeneratedValue;
}

export interface ManagedSecretProps {
  readonly identity: Identity;
  /** Product name of the Secret (before the namePrefix), e.g. "mdicapsrv-cred". */
  readonly name: string;
  readonly component: string;
  /** Name of a Secret the user manages; when set, nothing is created and this one is referenced. */
  readonly existingSecret: string;
  readonly keys: Record<string, SecretKeySpec>;
  /** Create the Secret only under this condition too. @default true */
  readonly enabled?: unknown;
}

/**
 * A Secret that is either created by the chart (given or generated values) or supplied by the user
 * (`existingSecret`, for GitOps tools where Helm's lookup sees nothing).
 */
export class ManagedSecret extends Construct {
  /** The name workloads reference: the user's Secret, or the one created here. */
  public readonly secretName: string;

  constructor(scope: Construct, id: string, props: ManagedSecretProps) {
    super(scope, id);
    const render = Render.of(this);
    const name = props.identity.name(props.name);
    this.secretName = render.coalesce(props.existingSecret, name);
    const generates = Object.values(props.keys).some((k) => k.generate);
    const data: Record<string, string> = {};
    for (const [key, spec] of Object.entries(props.keys)) {
      const given = render.b64(spec.given);
      data[key] = spec.generate ? render.coalesce(given, render.generatedSecret(name, key, spec.generate)) : given;
    }
    render.when(render.and(props.enabled ?? true, render.not(props.existingSecret)), () => {
      new Manifest(this, 'Resource', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: props.identity.meta(props.name, props.component, {
          annotations: generates ? { 'helm.sh/resource-policy': 'keep' } : {},
        }),
        type: 'Opaque',
        data,
      });
    });
  }
}
