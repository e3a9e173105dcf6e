/**
 * The stack this repository deploys: which systems, in which namespace, with which values.
 * Values are typed from each system's zod schema, so a typo fails the type check, and a wrong value
 * fails synthesis with its path, before anything is written.
 *
 * `npm run synth` and `npx cdk8s synth` are `chart-as-code synth --charts apps/stack.ts` (package.json,
 * cdk8s.yaml): the command line writes `instances()` to dist/, all or nothing (CHART_AS_CODE_DIST=<dir> or
 * `--out <dir>` writes there instead; a directory chart-as-code did not write is refused).
 *
 * STACK_VALUES=<file.yaml> overrides values per system ({ md-icapsrv: { replicaCount: 3 } }), e.g. per
 * environment in CI, without a code change. The file is read as Helm reads values files, so the same
 * values file gives the same objects from both outputs.
 */
import { App } from 'cdk8s';
import { RawChart } from '../lib/core/chart';
import { readValuesFile } from '../lib/core/input';
import { ValuesError } from '../lib/core/schema';
import { ChartInstance } from '../lib/core/synth';
import { mdCoreChart, MdCoreValuesInput } from '../lib/systems/md-core';
import { mdIcapsrvChart, MdIcapsrvValuesInput } from '../lib/systems/md-icapsrv';
import { multisiteInitChart, MultisiteInitValuesInput } from '../lib/systems/multisite-init';
import { svServerChart, SvServerValuesInput } from '../lib/systems/sv-server';

/** Per-system values laid over the stack's own (same keys as each chart's values.yaml). */
export type StackOverrides = Record<string, Record<string, unknown>>;

export interface StackOptions {
  /** Namespace of every system. @default "metadefender" */
  readonly namespace?: string;
  /** Values per system name, over the ones below. @default {} */
  readonly overrides?: StackOverrides;
}

const icap: MdIcapsrvValuesInput = {
  acceptEula: true,
  // The licence key lives in a Secret managed outside this repository.
  license: { existingSecret: 'mdicapsrv-license-key' },
};

const core: MdCoreValuesInput = {
  acceptEula: true,
  license: { existingSecret: 'mdcore-license-key' },
};

// The vendor's setup: in-cluster Postgres sv-postgres-db-service, work and logs on claims, root.
const sv: SvServerValuesInput = {};

// The writer as a Job, with the long-lived token so the kubeconfig does not go stale.
const multisite: MultisiteInitValuesInput = {};

/** Every system of the stack as an instance of its chart, one dist/<name>.k8s.yaml each. */
export function stackInstances(opts: StackOptions = {}): ChartInstance[] {
  const namespace = opts.namespace ?? 'metadefender';
  const overrides = opts.overrides ?? {};
  const charts = [
    { chart: mdIcapsrvChart, values: icap, namespace, overrides: overrides[mdIcapsrvChart.name] },
    { chart: mdCoreChart, values: core, namespace, overrides: overrides[mdCoreChart.name] },
    { chart: svServerChart, values: sv, namespace, overrides: overrides[svServerChart.name] },
    { chart: multisiteInitChart, values: multisite, namespace, overrides: overrides[multisiteInitChart.name] },
  ];
  const known = charts.map((c) => c.chart.name);
  const unknown = Object.keys(overrides).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ValuesError('the stack', unknown.map((k) => ({ path: k, message: `no such system (known: ${known.join(', ')})` })));
  return charts;
}

/** Add every system of the stack to an existing cdk8s App (for apps that compose it with their own charts). */
export function buildStack(app: App, opts: StackOptions = {}): void {
  for (const instance of stackInstances(opts)) new RawChart(app, instance.chart.name, instance);
}

/** STACK_VALUES read exactly as `helm -f` reads a values file (YAML 1.1: `env: on` is a boolean there too). */
function stackValues(): StackOverrides {
  const file = process.env.STACK_VALUES;
  if (!file) return {};
  return readValuesFile(file, { what: `STACK_VALUES=${file}` }) as StackOverrides;
}

/** What `chart-as-code synth --charts apps/stack.ts` writes: every system, with STACK_VALUES laid over the stack's values. */
export function instances(): ChartInstance[] {
  return stackInstances({ overrides: stackValues() });
}
