/**
 * The stack this repository deploys: which systems, in which namespace, with which values.
 * Values are typed from each system's zod schema, so a typo fails the type check, and a wrong value
 * fails synthesis with its path, before anything is written.
 */
import { App } from 'cdk8s';
import { coalesceValues, ValuesError } from '../lib/core/schema';
import { ChartFactory, systemChart } from '../lib/core/synth';
import { SystemDefinition } from '../lib/core/system';
import { mdCoreSystem, MdCoreProps } from '../lib/systems/md-core';
import { mdIcapsrvSystem, MdIcapsrvProps } from '../lib/systems/md-icapsrv';
import { multisiteInitSystem, MultisiteInitProps } from '../lib/systems/multisite-init';
import { svServerSystem, SvServerProps } from '../lib/systems/sv-server';

/** Per-system values laid over the stack's own (same keys as each chart's values.yaml). */
export type StackOverrides = Record<string, Record<string, unknown>>;

export interface StackOptions {
  /** Namespace of every system. @default "metadefender" */
  readonly namespace?: string;
  /** Values per system name, over the ones below. @default {} */
  readonly overrides?: StackOverrides;
}

const icap: MdIcapsrvProps = {
  acceptEula: true,
  // The licence key lives in a Secret managed outside this repository.
  license: { existingSecret: 'mdicapsrv-license-key' },
};

const core: MdCoreProps = {
  acceptEula: true,
  license: { existingSecret: 'mdcore-license-key' },
};

// The vendor's setup: in-cluster Postgres sv-postgres-db-service, work and logs on claims, root.
const sv: SvServerProps = {};

// The writer as a Job, with the long-lived token so the kubeconfig does not go stale.
const multisite: MultisiteInitProps = {};

/** Every system of the stack as a chart to synthesize, one chart (one dist/<name>.k8s.yaml) each. */
export function stackCharts(opts: StackOptions = {}): ChartFactory[] {
  const namespace = opts.namespace ?? 'metadefender';
  const overrides = opts.overrides ?? {};
  const entries: [SystemDefinition, Record<string, unknown>][] = [
    [mdIcapsrvSystem as unknown as SystemDefinition, icap],
    [mdCoreSystem as unknown as SystemDefinition, core],
    [svServerSystem as unknown as SystemDefinition, sv],
    [multisiteInitSystem as unknown as SystemDefinition, multisite],
  ];
  const known = new Set(entries.map(([s]) => s.name));
  const unknown = Object.keys(overrides).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ValuesError('the stack', unknown.map((k) => ({ path: k, message: `no such system (known: ${[...known].join(', ')})` })));
  return entries.map(([system, values]) => systemChart({ system, namespace, values: coalesceValues(values, overrides[system.name] ?? {}) as never }));
}

/** Add every system of the stack to an existing cdk8s App (for apps that compose it with their own charts). */
export function buildStack(app: App, opts: StackOptions = {}): void {
  for (const chart of stackCharts(opts)) chart.create(app, chart.id);
}
