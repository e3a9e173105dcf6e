/**
 * Persistent storage of a workload: a PersistentVolumeClaim created by the chart, a claim the user
 * already has, or (persistence off) an emptyDir that lives and dies with the pod.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../core/kube-object';
import { dnsName, optionalDnsName, positiveQuantity } from '../core/schema';
import { Render, ValueTree } from '../core/template';
import { Identity } from './identity';

export interface PersistenceDefaults {
  /** Whether a claim is used by default. */
  readonly enabled: boolean;
  /** Default size of a created claim, e.g. "10Gi". */
  readonly size: string;
  /** Description of `enabled`: what is kept, and what is lost without it. */
  readonly enabledDescription: string;
}

/** Values of one volume's persistence: `enabled`, `size`, `storageClass`, `existingClaim`. */
export const persistenceValues = (d: PersistenceDefaults) =>
  z
    .object({
      enabled: z.boolean().default(d.enabled).describe(d.enabledDescription),
      size: positiveQuantity().default(d.size).describe('Size of the claim.'),
      storageClass: optionalDnsName().default('').describe('Storage class of the claim; empty for the cluster default.'),
      existingClaim: z.union([z.literal(''), dnsName()]).default('').describe('Use this existing claim instead of creating one.'),
    })
    .strict()
    .prefault({});

export type PersistenceValues = ValueTree<z.output<ReturnType<typeof persistenceValues>>>;

export interface ClaimVolumeProps {
  readonly identity: Identity;
  /** Product name of the claim (before the namePrefix), e.g. "sv-server-work". */
  readonly name: string;
  readonly component: string;
  readonly persistence: PersistenceValues;
  /** Name of the pod volume the workload mounts. */
  readonly volumeName: string;
}

/**
 * Creates the claim as `id` under `scope` when persistence is on and no existing claim is given (kept on
 * uninstall: it holds data), and returns the pod volume to spread into `volumes`: the claim (created or
 * existing) or, with persistence off, an emptyDir.
 */
export function claimVolume(scope: Construct, id: string, props: ClaimVolumeProps): Record<string, unknown>[] {
  const render = Render.of(scope);
  const { identity, persistence: p } = props;
  const claimName = render.coalesce(p.existingClaim, identity.name(props.name));
  render.when(render.and(p.enabled, render.not(p.existingClaim)), () => {
    new KubeObject(scope, id, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: identity.meta(props.name, props.component, { keptOnUninstall: true }),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: p.size } },
        ...render.fieldsIf(p.storageClass, { storageClassName: p.storageClass }),
      },
    });
  });
  return [
    ...render.itemsIf(p.enabled, [{ name: props.volumeName, persistentVolumeClaim: { claimName } }]),
    ...render.itemsIf(render.not(p.enabled), [{ name: props.volumeName, emptyDir: {} }]),
  ];
}
