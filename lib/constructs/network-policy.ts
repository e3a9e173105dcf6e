/**
 * Who may connect to a component's pods: a NetworkPolicy admitting, on the given ports, the pods of the
 * same product in the same release (whatever their component: the product's pods, blue/green slots, its
 * Jobs and CronJobs) and the peers the user adds. Release-scoped through the identity labels, so another
 * release in the namespace (another namePrefix) or an unrelated pod is refused. Egress is not restricted.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { K8S_EXAMPLES, k8sObject } from '../core/schema';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';

/**
 * A NetworkPolicyPeer as Kubernetes accepts one: a podSelector (with or without a namespaceSelector), a
 * namespaceSelector, or an ipBlock alone (Kubernetes refuses an empty peer, and an ipBlock beside a selector).
 */
const peer = () =>
  z.union([
    z
      .object({
        podSelector: k8sObject(K8S_EXAMPLES.labelSelector),
        namespaceSelector: k8sObject(K8S_EXAMPLES.labelSelector).optional(),
      })
      .strict(),
    z.object({ namespaceSelector: k8sObject(K8S_EXAMPLES.labelSelector) }).strict(),
    z.object({ ipBlock: k8sObject(K8S_EXAMPLES.ipBlock) }).strict(),
  ]);

/**
 * `networkPolicy` values. `openWhenFromEmpty`: no `from` admits every source on the ports, which are then
 * the only ones open (a product's clients); otherwise only the product's own pods are (a database).
 */
export const networkPolicyValues = (opts: { enabled: boolean; what: string; openWhenFromEmpty: boolean }) =>
  z
    .object({
      enabled: z.boolean().default(opts.enabled).describe(`A NetworkPolicy for ${opts.what}.`),
      from: z
        .array(peer())
        .default([])
        .describe(
          opts.openWhenFromEmpty
            ? 'Peers admitted (NetworkPolicyPeer: podSelector, namespaceSelector, ipBlock) besides the pods of this product in this release; empty admits every source on these ports.'
            : 'Peers admitted besides the pods of this product in this release (NetworkPolicyPeer: podSelector, namespaceSelector, ipBlock), e.g. a backup tool.',
        ),
    })
    .strict()
    .prefault({});

export type NetworkPolicyValues = ValueTree<z.output<ReturnType<typeof networkPolicyValues>>>;

export interface IngressPolicyProps {
  readonly identity: Identity;
  /** Product name of the NetworkPolicy. */
  readonly name: string;
  readonly component: string;
  /** The pods it protects (their selector labels). */
  readonly podSelector: Record<string, ValueOrConstant<string>>;
  /** Container ports (names or numbers) it opens. */
  readonly ports: ValueOrConstant<string | number>[];
  readonly values: NetworkPolicyValues;
  /** See networkPolicyValues. */
  readonly openWhenFromEmpty: boolean;
}

export class IngressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: IngressPolicyProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: v } = props;
    const from = [{ podSelector: { matchLabels: identity.productSelector() } }, ...render.itemsOf(v.from)];
    render.when(v.enabled, () => {
      new KubeObject(this, 'Policy', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: identity.meta(props.name, props.component),
        spec: {
          podSelector: { matchLabels: props.podSelector },
          policyTypes: ['Ingress'],
          ingress: [
            {
              ...(props.openWhenFromEmpty ? render.fieldsIf(v.from, { from }) : { from }),
              ports: props.ports.map((port) => ({ port, protocol: 'TCP' })),
            },
          ],
        },
      });
    });
  }
}

/** `networkPolicy` of a product's own pods: off by default (products serve clients anywhere in the cluster). */
export const productNetworkPolicyValues = () =>
  networkPolicyValues({ enabled: false, what: "the product's pods: only its ports are open, to `from` (and this release's own pods) or to all when `from` is empty", openWhenFromEmpty: true });
