/**
 * The in-place replacement of a running release of the vendor chart by ours: the kubectl and helm
 * commands, in order, that the report lists and the cluster suite runs.
 */
import { shellWords, VendorChart } from './engine';

/** One command of the in-place replacement: the tool and its arguments. */
export interface Step {
  readonly tool: 'kubectl' | 'helm';
  readonly args: readonly string[];
  readonly why: string;
}

/** What the vendor chart made that holds data or credentials, and its database Deployment. */
const VENDOR_OBJECTS: Record<VendorChart, { secrets: string[]; claims: string[]; database: string; chart: string }> = {
  'vendor-icap': {
    secrets: ['mdicapsrv-cred', 'mdicapsrv-api-key', 'mdicapsrv-license-key', 'mdicapsrv-postgres-cred', 'mdicap-licensing'],
    claims: [],
    database: 'postgres-mdicapsrv',
    chart: 'md-icapsrv',
  },
  'vendor-mdcore': { secrets: ['mdcore-cred', 'mdcore-api-key', 'mdcore-license-key', 'mdcore-postgres-cred'], claims: ['postgres-core'], database: 'postgres-core', chart: 'md-core' },
};

/**
 * The commands that replace a running release of the vendor chart by ours in place, with the values of an
 * `inPlace` conversion in `valuesFile`: keep what holds data (Helm deletes what the new chart does not
 * render, unless it is marked keep), clear the database Deployment's rolling-update settings (ours is
 * Recreate, and a server-side apply would keep the ones the apiserver defaulted), then `helm upgrade`.
 */
export function inPlaceSteps(chart: VendorChart, opts: { release: string; namespace: string; valuesFile: string; chartDir?: string }): Step[] {
  const o = VENDOR_OBJECTS[chart];
  const ns = ['-n', opts.namespace];
  return [
    { tool: 'kubectl', args: [...ns, 'annotate', '--overwrite', ...o.secrets.map((n) => `secret/${n}`), 'helm.sh/resource-policy=keep'], why: 'keep the Secrets (credentials, licence key, licensing data) when the release stops rendering them' },
    ...o.claims.map((c): Step => ({ tool: 'kubectl', args: [...ns, 'annotate', '--overwrite', `pvc/${c}`, 'helm.sh/resource-policy=keep'], why: 'keep the database claim (ours takes it as existingClaim)' })),
    {
      tool: 'kubectl',
      args: [...ns, 'patch', 'deployment', o.database, '-p', '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}'],
      why: 'the database Deployment becomes Recreate (one pod owns the data); its pods are not restarted by this',
    },
    { tool: 'helm', args: ['upgrade', opts.release, opts.chartDir ?? `./charts/${o.chart}`, ...ns, '-f', opts.valuesFile, '--wait'], why: 'replace the release: pods are replaced one at a time (maxSurge 0)' },
  ];
}

/** A step as a shell command line. */
export function stepText(step: Step): string {
  return shellWords([step.tool, ...step.args]);
}
