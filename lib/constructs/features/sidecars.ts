/**
 * Containers of the user's beside the product container (a database proxy, a log shipper), passed through
 * as given, like extraInitContainers. Secure by default without rewriting what the user wrote: each is
 * held to the chart's `podSecurityLevel` (restricted as shipped), so a sidecar without a restricted
 * securityContext is refused with its path until it states one or the level is lowered on purpose. A
 * default merged into the user's container would hide from review what actually runs.
 */
import { defineFeature, ProductNames } from '../feature';
import { extraContainers } from '../product';
import { restrictedContainerSecurity } from '../pod';
import { equal, isMap, Key, Map, Rule, VendorValueError } from '../../convert/engine';

/** What restricted requires of a container's security context (a read-only root is not required). */
const { readOnlyRootFilesystem: _, ...RESTRICTED } = restrictedContainerSecurity(false);

/**
 * Vendor containers (sidecars, extra workloads) into ours: each security context completed with what
 * restricted requires where the vendor left a key out (the vendor chart ran them unconfined; under our
 * restricted level they would be refused). Where the vendor's own keys break restricted, the level goes
 * down to baseline and the report says so. A container whose image is not pinned to a version stays out
 * of the values: the report names it and the step.
 */
export function vendorContainers(k: Key, target: string, items: readonly Map[], opts: { what: string; set?: (pinned: Map[]) => void }): void {
  const pinned = items.filter((c) => typeof c.image === 'string' && /:v?[0-9]+\.[0-9]+/.test(c.image));
  const unpinned = items.filter((c) => !pinned.includes(c)).map((c) => `${String(c.name)} (${String(c.image)})`);
  let loosened = false;
  const converted = pinned.map((c) => {
    const given = isMap(c.securityContext) ? c.securityContext : {};
    const securityContext = { ...RESTRICTED, ...given };
    if (!Object.keys(RESTRICTED).every((key) => equal((securityContext as Map)[key], (RESTRICTED as Map)[key]))) loosened = true;
    return { ...c, securityContext };
  });
  if (converted.length > 0) (opts.set ?? ((v) => k.ctx.set(target, v)))(converted);
  if (loosened) k.ctx.set('podSecurityLevel', 'baseline');
  const steps = [
    ...(unpinned.length > 0 ? [`pin the image of ${unpinned.join(', ')} to a version (ours refuses latest and bare tags), then add it to ${target}`] : []),
    ...(loosened ? [`a security context of the vendor's breaks restricted: podSecurityLevel is set to baseline; make it restricted and remove podSecurityLevel`] : []),
  ];
  const to = [...(converted.length > 0 ? [target] : []), ...(loosened ? ['podSecurityLevel'] : [])];
  const note = `${opts.what}: the security context completed with what restricted requires where the vendor left it out (${Object.keys(RESTRICTED).join(', ')})`;
  if (steps.length > 0) k.action(`${note}; ${steps.join('; ')}`, { to });
  else k.mapped(to, k.value, note);
}

/** The vendor's sidecars of the product container. */
const sidecarsRule: Rule = (k) => {
  if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list of containers');
  if (k.value.length === 0) return k.notNeeded('empty');
  vendorContainers(k, 'sidecars', k.value as Map[], { what: 'sidecars of the product container' });
};

/** A proxy sidecar as the cases run it: non-root, nothing to escalate, read-only root. */
const PROXY_SIDECAR = {
  name: 'cloud-sql-proxy',
  image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1',
  args: ['--port=5432', 'project:region:instance'],
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  securityContext: { ...RESTRICTED, readOnlyRootFilesystem: true },
};

/** `reserved`: the container names the product pod has whatever the values (its features'), which a sidecar may not take. */
export const sidecars = (p: ProductNames, reserved: readonly string[]) =>
  defineFeature({
    name: 'sidecars',
    values: {
      sidecars: extraContainers(reserved).describe(
        'Containers run beside the product container (Kubernetes container objects, e.g. a database proxy), each name once, none of the chart\'s; each is held to podSecurityLevel (restricted as shipped: give each a restricted securityContext).',
      ),
    },
    pod: ({ render, own }) => ({ sidecars: render.itemsOfUniqueNames(own.sidecars) }),
    vendorRules: { [`${p.vendorKey}.sidecars`]: sidecarsRule },
    cases: [
      { name: 'a restricted proxy sidecar', values: { sidecars: [PROXY_SIDECAR] } },
      {
        name: 'two sidecars under baseline, one without a security context',
        values: { podSecurityLevel: 'baseline', sidecars: [PROXY_SIDECAR, { name: 'log-shipper', image: 'fluent/fluent-bit:3.1.9', volumeMounts: [{ name: 'logs', mountPath: '/logs' }] }], extraVolumes: [{ name: 'logs', emptyDir: {} }] },
      },
    ],
  });
