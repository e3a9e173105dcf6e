/**
 * The product Service as the user shapes it: type, annotations, fixed node ports, session affinity, the
 * traffic policies and the load-balancer fields. Each product places `serviceValues` (with its own node
 * port fields) at `service`; the builder spreads `serviceSpecFields` into the Service. The vendor charts'
 * `serviceSpec` (a whole Service spec) converts to these values where they can say it.
 */
import { z } from 'zod';
import { extraAnnotations, rule } from '../../core/schema';
import { Render, ValueTree } from '../../core/template';
import { defineFeature, ProductNames } from '../feature';
import { sessionAffinityFields } from '../product';
import { equal, isMap, Key, Map, Rule, VendorValueError } from '../../convert/engine';

const IPV4 = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}';
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/**
 * An IPv4 range as Kubernetes takes it (1.37 refuses bits set beyond the prefix length): per prefix length,
 * the whole octets any, the partial one a multiple of its block size, the rest 0.
 */
const IPV4_CIDR = Array.from({ length: 33 }, (_, prefix) => {
  const whole = Math.floor(prefix / 8);
  const bits = prefix % 8;
  const partial = bits === 0 ? [] : [`(${Array.from({ length: 2 ** bits }, (_, m) => m * 2 ** (8 - bits)).join('|')})`];
  const octets = [...Array(whole).fill(OCTET), ...partial];
  return [...octets, ...Array(4 - octets.length).fill('0')].join('\\.') + `/${prefix}`;
}).join('|');
/** A load-balancer class: a label-style name with a domain prefix (`service.k8s.aws/nlb`), as Kubernetes requires. */
const LB_CLASS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const trafficPolicy = (what: string) => z.enum(['', 'Cluster', 'Local']).default('').describe(what);

/** The Service values of a product; `nodePorts` are its own fixed node port field(s). */
export const serviceValues = <N extends z.ZodRawShape>(nodePorts: N) =>
  rule(
    rule(
      z
        .object({
          type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP').describe('Service type.'),
          annotations: extraAnnotations().describe('Annotations of the Service (e.g. for a cloud load balancer).'),
          ...nodePorts,
          ...sessionAffinityFields(),
          externalTrafficPolicy: trafficPolicy(
            'How traffic from outside reaches the pods (NodePort/LoadBalancer): Local keeps the client address and skips a second hop, Cluster spreads evenly; empty for the Kubernetes default (Cluster).',
          ),
          internalTrafficPolicy: trafficPolicy('How traffic from inside the cluster reaches the pods: Local only to pods on the same node; empty for the Kubernetes default (Cluster).'),
          loadBalancerIP: z
            .union([z.literal(''), z.string().regex(new RegExp(`^${IPV4}$`))])
            .default('')
            .describe('IPv4 address to ask the cloud load balancer for (LoadBalancer; deprecated by Kubernetes, some providers still read it).'),
          loadBalancerSourceRanges: z
            .array(z.string().regex(new RegExp(`^(${IPV4_CIDR})$`)))
            .default([])
            .describe('Client IPv4 address ranges the load balancer admits (LoadBalancer), as networks (10.0.0.0/8, not 10.0.0.1/8); empty admits every client.'),
          loadBalancerClass: z.union([z.literal(''), z.string().max(316).regex(LB_CLASS)]).default('').describe('Load-balancer implementation to use (LoadBalancer, e.g. service.k8s.aws/nlb); empty for the cluster default.'),
        })
        .strict(),
      (s) => (s as unknown as ServiceFields).externalTrafficPolicy === '' || (s as unknown as ServiceFields).type !== 'ClusterIP',
      {
        message: 'service.externalTrafficPolicy applies to type NodePort or LoadBalancer only (Kubernetes refuses it on ClusterIP)',
        path: ['externalTrafficPolicy'],
        counterexample: { type: 'ClusterIP', externalTrafficPolicy: 'Local' } as never,
        jsonSchema: {
          if: { properties: { type: { const: 'ClusterIP' } }, required: ['type'] },
          then: { properties: { externalTrafficPolicy: { const: '' } } },
        },
      },
    ),
    (v) => {
      const s = v as unknown as ServiceFields;
      return s.type === 'LoadBalancer' || (s.loadBalancerIP === '' && s.loadBalancerSourceRanges.length === 0 && s.loadBalancerClass === '');
    },
    {
      message: 'service.loadBalancerIP, loadBalancerSourceRanges and loadBalancerClass apply to type LoadBalancer only',
      path: ['type'],
      counterexample: { type: 'NodePort', loadBalancerClass: 'service.k8s.aws/nlb' } as never,
      jsonSchema: {
        if: { not: { properties: { type: { const: 'LoadBalancer' } }, required: ['type'] } },
        then: { properties: { loadBalancerIP: { const: '' }, loadBalancerSourceRanges: { maxItems: 0 }, loadBalancerClass: { const: '' } } },
      },
    },
  ).prefault({} as never);

type ServiceFields = {
  type: string;
  externalTrafficPolicy: string;
  internalTrafficPolicy: string;
  loadBalancerIP: string;
  loadBalancerSourceRanges: string[];
  loadBalancerClass: string;
};

/** The Service spec fields of the values above that Kubernetes would otherwise default, each only when given. */
export function serviceSpecFields(render: Render, s: ValueTree<ServiceFields>) {
  return {
    ...render.fieldsIf(s.externalTrafficPolicy, { externalTrafficPolicy: s.externalTrafficPolicy }),
    ...render.fieldsIf(s.internalTrafficPolicy, { internalTrafficPolicy: s.internalTrafficPolicy }),
    ...render.fieldsIf(s.loadBalancerIP, { loadBalancerIP: s.loadBalancerIP }),
    ...render.fieldsIf(s.loadBalancerSourceRanges, { loadBalancerSourceRanges: s.loadBalancerSourceRanges }),
    ...render.fieldsIf(s.loadBalancerClass, { loadBalancerClass: s.loadBalancerClass }),
  };
}

/** Fields of a vendor Service spec our values say as they are. */
const PLAIN = ['type', 'sessionAffinity', 'externalTrafficPolicy', 'internalTrafficPolicy', 'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass'] as const;

/**
 * The vendor's `serviceSpec` (a whole Service spec, written as it is): its plain fields, the ClientIP
 * timeout, and the node port of each of our ports (`ports` by number: our port name and its node-port
 * value path). Its selector and target ports are ours already; anything else is an action.
 */
function serviceSpecRule(ports: (k: Key) => Record<number, string>): Rule {
  return (k) => {
    if (!isMap(k.value)) throw new VendorValueError(k.path, 'expected a Service spec (a map)');
    const spec = k.value as Map;
    const to: string[] = [];
    const unsaid: string[] = [];
    const set = (path: string, v: unknown) => {
      k.ctx.set(path, v);
      to.push(path);
    };
    for (const [field, v] of Object.entries(spec)) {
      if ((PLAIN as readonly string[]).includes(field)) set(`service.${field}`, v);
      else if (field === 'sessionAffinityConfig') {
        const timeout = ((v as Map | undefined)?.clientIP as Map | undefined)?.timeoutSeconds;
        if (typeof timeout !== 'number') throw new VendorValueError(`${k.path}.sessionAffinityConfig`, 'expected clientIP.timeoutSeconds');
        set('service.sessionAffinityTimeoutSeconds', timeout);
      } else if (field === 'ports') {
        if (!Array.isArray(v)) throw new VendorValueError(`${k.path}.ports`, 'expected a list');
        const ours = ports(k);
        for (const p of v as Map[]) {
          const target = ours[Number(p.port)];
          if (target === undefined) unsaid.push(`ports (port ${String(p.port)} is none of ours: ${Object.keys(ours).join(', ')})`);
          else if (p.nodePort !== undefined) set(target, Number(p.nodePort));
        }
      } else if (field === 'selector') continue;
      else if (field === 'status' && equal(v, { loadBalancer: {} })) continue;
      else unsaid.push(field);
    }
    if (unsaid.length > 0) {
      return k.action(`ours builds the Service from service.*; these fields of the vendor's serviceSpec have no value of ours, set them by a post-renderer or drop them: ${unsaid.join(', ')}`, { to });
    }
    k.mapped(to, k.value, 'the selector and target ports are the chart\'s own (its pods, by port name)');
  };
}

/**
 * The Service override of a product: no values of its own (they stand at `service`, made by
 * `serviceValues`), the vendor `serviceSpec` rule and its cases. `nodePorts` maps each vendor port number to
 * the value path of its node port.
 */
export const serviceOverride = (p: ProductNames, nodePorts: (get: (path: string) => unknown) => Record<number, string>, cases: { nodePort: Record<string, unknown> }) =>
  defineFeature({
    name: 'service override',
    values: {},
    vendorRules: { [`${p.vendorKey}.serviceSpec`]: serviceSpecRule((k) => nodePorts((path) => k.ctx.get(path))) },
    cases: [
      {
        name: 'NodePort Service with local traffic policies and client-IP affinity',
        values: { service: { type: 'NodePort', ...cases.nodePort, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } },
      },
      {
        name: 'LoadBalancer Service with an address, source ranges and a class',
        values: {
          service: {
            type: 'LoadBalancer',
            annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' },
            externalTrafficPolicy: 'Cluster',
            loadBalancerIP: '10.0.0.40',
            loadBalancerSourceRanges: ['10.0.0.0/8', '192.168.10.0/24'],
            loadBalancerClass: 'service.k8s.aws/nlb',
          },
        },
      },
    ],
  });
