/**
 * cdk8s-plus objects in a chart, scoped to the release without the user doing anything.
 *
 * cdk8s-plus selects a workload's pods by the label `cdk8s.io/metadata.addr`, a hash of the construct path,
 * and names objects it is not given a name for after that path: both are the same in every release of a
 * chart, so with two releases in one namespace a Service from `exposeViaService()` would select both
 * releases' pods, and the releases' Services would have one name. In a ReleaseScopedChart (raw synthesis
 * and the Helm chart alike):
 * - that label's value is release-scoped wherever it appears (pod templates, workload selectors, Services,
 *   network policy peers), `<release>-<hash>` (see `scopedAddress` for what the hash covers);
 * - generated names are `<release>-<construct path below the chart>`, as `helm create` names objects;
 * - a Service a workload exposes carries the workload's labels (cdk8s-plus gives it none).
 */
import { createHash } from 'node:crypto';
import { ApiObject, App, Chart, ChartProps, IResolver, Names, ResolutionContext } from 'cdk8s';
import { Construct } from 'constructs';
import { ChartError } from './errors';
import { Render, text } from './template';

/** The label cdk8s-plus selects pods by (`Pod.ADDRESS_LABEL`; cdk8s-plus is not a dependency of this package). */
export const CDK8S_ADDRESS_LABEL = 'cdk8s.io/metadata.addr';

/** Construct ids cdk8s leaves out of generated names (an L2's ApiObject is its `Resource` child). */
const HIDDEN_IDS = new Set(['Resource', 'Default']);

/**
 * Rewrites `cdk8s.io/metadata.addr` values of ReleaseScopedCharts' objects as they are resolved: the one
 * place every copy of the label passes through, wherever cdk8s-plus put it.
 */
class AddressResolver implements IResolver {
  public resolve(context: ResolutionContext): void {
    if (context.key[context.key.length - 1] !== CDK8S_ADDRESS_LABEL || typeof context.value !== 'string') return;
    const chart = Chart.of(context.obj);
    // Not `instanceof`: Chart defines Symbol.hasInstance as "is any Chart".
    if (!ReleaseScopedChart.isReleaseScoped(chart)) return;
    const scoped = chart.scopedAddress(context.value, context.obj.node.path);
    // cdk8s resolves a replaced value again: leave what is already scoped.
    if (scoped !== context.value) context.replaceValue(scoped);
  }
}

/** The path of `obj` below `chart` as a DNS label: what cdk8s names it after, without the chart's id. */
function pathBelow(chart: Chart, obj: ApiObject): string {
  const ids = obj.node.scopes.slice(chart.node.scopes.length).map((s) => s.node.id).filter((id) => !HIDDEN_IDS.has(id));
  return ids.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
}

/**
 * A cdk8s Chart whose cdk8s-plus objects are scoped to the release of its render context (see the file
 * comment): attach its render context before building in it (`Render.attach`), call `scopeToRelease()` after.
 */
export class ReleaseScopedChart extends Chart {
  /** Whether `chart` is one (rather than a plain cdk8s Chart next to it in the App). */
  public static isReleaseScoped(chart: Chart): chart is ReleaseScopedChart {
    return 'scopedAddress' in chart;
  }

  private readonly scoped = new Set<string>();

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const resolvers = App.of(this).resolvers as IResolver[];
    // The App's own list: `app.synth()` and `npx cdk8s synth` resolve through it (user resolvers keep their dibs).
    if (!resolvers.some((r) => r instanceof AddressResolver)) resolvers.push(new AddressResolver());
  }

  /** `<release>-<base>`: objects cdk8s-plus makes without a name get one of their own in each release. */
  public override generateObjectName(apiObject: ApiObject): string {
    return text(Render.of(this).releaseScopedName(pathBelow(this, apiObject)));
  }

  /** cdk8s address of each construct of this chart (what cdk8s-plus labels its pods with) -> `<chart name>/<path below the chart>`. */
  private addresses?: Map<string, string>;

  /**
   * The release-scoped value of a cdk8s-plus address label: `<release>-<hash>`, the hash of the chart's name
   * and the construct's path below the chart. Not of the address cdk8s made: that hashes the construct's
   * whole path, with the Chart's own id and whatever it is nested in, so `new RawChart(app, 'eu', …)` would
   * select by another label than the Helm chart of the same release (`helm install --take-ownership` of raw
   * manifests would meet an immutable selector), and renaming or nesting the RawChart would change the
   * selector of a live Deployment, which Kubernetes refuses. The chart's name keeps two charts of one release
   * apart, the release name two releases. Moving the workload inside the chart changes it, as it does with
   * plain cdk8s-plus (the construct path is its identity): `chart-as-code check` refuses that as a changed
   * Deployment selector.
   */
  public scopedAddress(address: string, at: string): string {
    if (this.scoped.has(address)) return address;
    // Built at the first label resolved; again if constructs were added after that.
    const stable = this.stableAddresses().get(address) ?? this.stableAddresses(true).get(address);
    if (stable === undefined) throw new ChartError(`${at}: label ${CDK8S_ADDRESS_LABEL}=${address} is the address of no construct in chart ${this.node.path}: a chart's objects can select only its own pods`);
    const hash = createHash('sha256').update(stable).digest('hex').slice(0, 8);
    const scoped = `${text(Render.of(this).release.name)}-${hash}`;
    this.scoped.add(scoped);
    return scoped;
  }

  private stableAddresses(rebuild = false): Map<string, string> {
    if (this.addresses && !rebuild) return this.addresses;
    const name = Render.of(this).chart?.name ?? this.node.id;
    const depth = this.node.scopes.length;
    this.addresses = new Map();
    for (const c of this.node.findAll()) this.addresses.set(Names.toLabelValue(c), [name, ...c.node.scopes.slice(depth).map((s) => s.node.id)].join('/'));
    return this.addresses;
  }

  /**
   * Gives each Service a Deployment exposed (`exposeViaService()`, `exposeViaIngress()`) and no labels of its
   * own the Deployment's labels, or the release's `app.kubernetes.io/instance` if it has none. Call it once
   * the chart is built.
   */
  public scopeToRelease(): void {
    const instance = { 'app.kubernetes.io/instance': text(Render.of(this).release.name) };
    for (const service of this.node.findAll().filter(ApiObject.isApiObject)) {
      if (service.kind !== 'Service') continue;
      const workload = service.node.scope?.node.scope?.node.tryFindChild('Resource');
      // cdk8s-plus makes the Service a child of the Deployment it exposes (the only workload that can).
      if (!ApiObject.isApiObject(workload) || workload.kind !== 'Deployment') continue;
      const own = (service.metadata.toJson() as { labels?: Record<string, string> }).labels;
      if (own && Object.keys(own).length > 0) continue;
      const labels = (workload.metadata.toJson() as { labels?: Record<string, string> }).labels ?? instance;
      for (const [key, value] of Object.entries(labels)) service.metadata.addLabel(key, value);
    }
  }
}
