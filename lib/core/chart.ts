/**
 * A chart, defined once: its values schema, its metadata and the constructs it builds. From one
 * definition come the raw manifests (a RawChart in any cdk8s app) and the Helm chart (writeHelmCharts), both
 * from the same construct code. A chart may build one product, or several products and a platform
 * team's own objects, each under its own key of the values.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import { ChartError } from './errors';
import { checkObjectLimits } from './limits';
import { ReleaseScopedChart } from './release-scope';
import { assertHoldableValues, coalesceValues } from './schema';
import { RawRender, release, Render, ValueTree } from './template';

export interface Maintainer {
  readonly name: string;
  readonly email?: string;
  readonly url?: string;
}

/** What Chart.yaml, the chart README and Artifact Hub say about a chart. */
export interface ChartMetadata {
  /** Chart version (SemVer); bump when the rendered output changes. */
  readonly version: string;
  /** The version of the application it deploys (usually the default image tag). */
  readonly appVersion: string;
  readonly description: string;
  /** Kubernetes versions the chart supports, as a SemVer range. @default ">=1.30.0-0" */
  readonly kubeVersion?: string;
  readonly home?: string;
  readonly sources?: readonly string[];
  readonly maintainers?: readonly Maintainer[];
  readonly keywords?: readonly string[];
  /** Longer text for the chart README, in Markdown. @default none */
  readonly readmeIntro?: string;
  /** NOTES.txt body (a Go template; `$` is the root context). @default none */
  readonly notes?: string;
  /** Artifact Hub category. @default "integration-delivery" */
  readonly category?: string;
  /** Licence of the chart (SPDX). @default "Apache-2.0" */
  readonly license?: string;
  /** What changed in this version, for Artifact Hub. @default one "added: first release" entry */
  readonly changes?: readonly { kind: 'added' | 'changed' | 'deprecated' | 'removed' | 'fixed' | 'security'; description: string }[];
}

export interface ChartDefinition<S extends z.ZodType = z.ZodType> {
  /** Chart name (a DNS label); also the default release name of raw synthesis. */
  readonly name: string;
  /** The values: the one source of their types, values.yaml, values.schema.json and the README table. */
  readonly schema: S;
  readonly metadata: ChartMetadata;
  /**
   * Builds the chart's objects under `scope`. `values` are checked and defaulted (raw synthesis) or
   * stand for the chart's values (Helm chart): pass them, or a part of them, to the constructs.
   */
  build(scope: Construct, values: ValueTree<z.output<S>>): void;
  /** Builds the `helm test` hook objects (chart only, unless raw synthesis asks for them). @default none */
  tests?(scope: Construct, values: ValueTree<z.output<S>>): void;
}

/** The Pod Security level a chart's pods meet with default values (its `podSecurityLevel` value), if it declares one. */
export function declaredPodSecurityLevel(def: ChartDefinition): string | undefined {
  const level = (def.schema.parse({}) as { podSecurityLevel?: unknown }).podSecurityLevel;
  return typeof level === 'string' ? level : undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * A chart: its name, values schema, metadata and how it builds its objects, checked once here. The result
 * renders as raw manifests (`new RawChart(app, id, { chart })`, `synthManifests`) and as a Helm chart
 * (`renderHelmChart`, `writeHelmCharts`), and proves itself with `expectEquivalent`.
 *
 * ```ts
 * const platform = defineChart({
 *   name: 'platform',
 *   schema: z.object({ icap: mdIcapsrvValues.prefault({}), core: mdCoreValues.prefault({ namePrefix: 'core-' }) }).strict(),
 *   metadata: { version: '1.0.0', appVersion: '2026.11', description: 'Scanning platform' },
 *   build: (scope, values) => {
 *     new MdIcapsrv(scope, 'icap', values.icap);
 *     new MdCore(scope, 'core', values.core);
 *   },
 * });
 * ```
 */
export function defineChart<S extends z.ZodType>(definition: ChartDefinition<S>): ChartDefinition<S> {
  const { name, metadata } = definition;
  if (!DNS_LABEL.test(name) || name.length > 53) throw new ChartError(`chart name ${JSON.stringify(name)}: must be a DNS label of at most 53 characters`);
  if (!SEMVER.test(metadata.version)) throw new ChartError(`chart ${name}: version ${JSON.stringify(metadata.version)} is not SemVer`);
  if (!metadata.appVersion) throw new ChartError(`chart ${name}: appVersion is empty`);
  return Object.freeze({ ...definition });
}

export interface RawChartProps<S extends z.ZodType> {
  readonly chart: ChartDefinition<S>;
  /** Values (the same keys as the chart's values.yaml). @default {} (all defaults) */
  readonly values?: z.input<S>;
  /**
   * More values laid over `values` the way Helm lays a second `-f` file over the first (maps merge, the
   * rest replaces), e.g. per environment from a file; checked like any values. @default none
   */
  readonly overrides?: unknown;
  /** Release name for labels. @default the chart's name */
  readonly releaseName?: string;
  /** Namespace of every object. @default "default" */
  readonly namespace?: string;
  /** `app.kubernetes.io/managed-by`. @default "cdk8s" */
  readonly managedBy?: string;
  /** Also synthesize the `helm test` hook objects. @default false */
  readonly includeTests?: boolean;
  /**
   * API versions the target cluster serves, as `helm template --api-versions` takes them: the charts ask
   * for `security.openshift.io/v1` (OpenShift, whose security contexts they adapt). @default none
   */
  readonly apiVersions?: readonly string[];
}

/**
 * A cdk8s Chart holding one chart definition, rendered concretely (raw manifests). Its cdk8s-plus objects
 * are scoped to the release (ReleaseScopedChart), and it refuses two objects of one name when the App
 * synthesizes it, so `app.synth()` / `npx cdk8s synth` check what `synthManifests` and `writeHelmCharts` check.
 */
export class RawChart<S extends z.ZodType> extends ReleaseScopedChart {
  public readonly render: RawRender;

  constructor(scope: Construct, id: string, props: RawChartProps<S>) {
    const namespace = props.namespace ?? 'default';
    super(scope, id, { namespace });
    const definition = props.chart;
    this.render = new RawRender(
      release(props.releaseName ?? definition.name, namespace, props.managedBy ?? 'cdk8s'),
      { name: definition.name, version: definition.metadata.version },
      props.apiVersions,
    );
    Render.attach(this, this.render);
    // Checked before coalescing, whose recursion a deeply nested input would overflow.
    for (const given of [props.values, props.overrides]) assertHoldableValues(definition.name, given);
    const values = this.render.values(definition.name, definition.schema, coalesceValues(props.values ?? {}, props.overrides ?? {}));
    definition.build(this, values);
    if (props.includeTests) definition.tests?.(this, values);
    this.scopeToRelease();
    this.node.addValidation({ validate: () => nameCollisions(this) });
  }

  /** The chart's objects, each checked against Kubernetes' limits: `app.synth()` writes what this returns. */
  public override toJson(): any[] {
    const objects = super.toJson();
    for (const obj of objects) checkObjectLimits(obj as Record<string, unknown>, `chart "${this.node.id}"`);
    return objects;
  }
}

/**
 * Every object's kind, namespace and name must be unique in one chart: two uses of a product with the
 * same names would overwrite each other in the cluster. Throws a ChartError naming both constructs.
 */
export function assertUniqueNames(chart: Chart): void {
  const [first] = nameCollisions(chart);
  if (first) throw new ChartError(first);
}

/** Each pair of objects in `chart` with one kind, namespace and name, as a message naming both and the fix. */
function nameCollisions(chart: Chart): string[] {
  const seen = new Map<string, string>();
  const collisions: string[] = [];
  for (const obj of chart.node.findAll().filter(ApiObject.isApiObject)) {
    const key = `${obj.apiVersion} ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.name}`;
    const other = seen.get(key);
    if (other) collisions.push(`two objects are the same ${key}: ${other} and ${obj.node.path}; give each use of a product its own namePrefix (or each object its own name)`);
    else seen.set(key, obj.node.path);
  }
  return collisions;
}

/** One instance's raw objects (JSON), without writing files: what the proof and the Helm chart's image list read. */
export function synthObjects<S extends z.ZodType>(props: RawChartProps<S>): { objects: Record<string, unknown>[]; render: RawRender } {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new RawChart(app, props.chart.name, props);
  assertUniqueNames(chart);
  return { objects: chart.toJson() as Record<string, unknown>[], render: chart.render };
}
