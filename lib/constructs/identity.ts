/**
 * Names, labels and metadata for every object of a product: product names behind the optional
 * namePrefix, standard app.kubernetes.io/* labels (a named template in charts), the release namespace
 * on every namespaced object, and the user's common labels and annotations.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import { constant, Render, ValueOrConstant, Value, ValueTree } from '../core/template';
import { adaptedSecurityContext, adaptsSecurityContext, GlobalValues } from './openshift';

/**
 * Annotations of objects that hold data and outlive the release: Helm's uninstall, Argo CD's app deletion
 * and Flux's pruning all leave them in place.
 */
export const KEPT_ON_UNINSTALL = {
  'helm.sh/resource-policy': 'keep',
  'argocd.argoproj.io/sync-options': 'Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
} as const;

/** The root values every product has (see commonFields in core/schema). */
export type CommonValues = ValueTree<{ namePrefix: string; commonLabels: Record<string, string>; commonAnnotations: Record<string, string> }> & {
  /** Helm's global values, with the OpenShift switch; without them security contexts are never adapted. */
  readonly global?: GlobalValues;
};

export interface IdentityProps {
  /** `app.kubernetes.io/name`: the product, e.g. "md-icapsrv", whichever chart it is part of. */
  readonly name: string;
  /** `app.kubernetes.io/part-of`. */
  readonly partOf: string;
  /** `app.kubernetes.io/version`: the image tag in use. */
  readonly version: ValueOrConstant<string>;
  /** `helm.sh/chart`: `<chart>-<version>` of the chart that renders it. */
  readonly chartLabel: string;
  /** Prefix of its named templates in `_helpers.tpl` (`<chart>` at the root of the values, `<chart>.icap` under `icap`). */
  readonly templatePrefix: string;
  readonly common: CommonValues;
}

export interface MetaOptions {
  /** Annotations of this object; they win over the common ones. @default none */
  readonly annotations?: Record<string, ValueOrConstant<string>>;
  /** A map value merged into the annotations, winning over both (e.g. service.annotations). @default none */
  readonly extraAnnotations?: ValueOrConstant<Record<string, string>>;
  /** Whether the object holds data that outlives the release (KEPT_ON_UNINSTALL). @default false */
  readonly keptOnUninstall?: boolean;
  /** The namespace, for an object outside the release's namespace. @default the release's namespace */
  readonly namespace?: ValueOrConstant<string>;
}

export class Identity {
  constructor(
    public readonly render: Render,
    public readonly props: IdentityProps,
  ) {}

  /** Whether this component's pods leave their user and groups to OpenShift (./openshift.ts). */
  public adaptsSecurityContext(): Value<boolean> {
    const global = this.props.common.global;
    return global ? adaptsSecurityContext(this.render, this.props.templatePrefix, global) : constant(false);
  }

  /**
   * A pod or container security context built here, as this component's pods get it: on OpenShift (or
   * forced) without runAsUser, runAsGroup and fsGroup, which restricted-v2 assigns from the namespace's ranges.
   */
  public securityContext<T extends object>(context: T): T {
    return adaptedSecurityContext(this.render, this.adaptsSecurityContext(), context) as T;
  }

  /** A security context value (podSecurityContext, securityContext), adapted as `securityContext`: one named template in a chart. */
  public securityContextValue(context: ValueOrConstant<Record<string, unknown>>): Record<string, unknown> {
    return this.render.sharedMap(`${this.props.templatePrefix}.securityContext`, { context }, (p) =>
      this.render.withEntriesOf({}, adaptedSecurityContext(this.render, this.adaptsSecurityContext(), p.context)),
    );
  }

  /** An object's name: the product's name behind the release's namePrefix. */
  public name(base: ValueOrConstant<string>): Value<string> {
    // Printed as it is when the base is a fixed name: the result then always reads back as a string.
    const printsAsIs = typeof base === 'string' && /^[a-z][-a-z0-9]*[a-z]$/.test(base);
    return this.render.sharedText(`${this.props.templatePrefix}.name`, { base }, (p) => `${this.props.common.namePrefix}${p.base}`, { printsAsIs });
  }

  /** A name unique to the release (`<release>-<base>`, as `helm create` names objects), behind the namePrefix. */
  public scopedName(base: ValueOrConstant<string>): Value<string> {
    return this.render.releaseScopedName(this.name(base));
  }

  /** Labels that select the pods of one component of the product; never change them on a live release (selectors are immutable). */
  public selector(component: string): Record<string, ValueOrConstant<string>> {
    return this.render.sharedMap(`${this.props.templatePrefix}.selectorLabels`, { component }, (p) => ({
      'app.kubernetes.io/name': this.props.name,
      'app.kubernetes.io/instance': this.render.release.name,
      'app.kubernetes.io/component': p.component,
    }));
  }

  /**
   * Labels every pod of this product in this release carries, whatever its component: the peer a
   * NetworkPolicy admits (another release, or another product in the same chart, differs in one of them).
   */
  public productSelector(): Record<string, ValueOrConstant<string>> {
    return this.render.sharedMap(`${this.props.templatePrefix}.productSelectorLabels`, {}, () => ({
      'app.kubernetes.io/name': this.props.name,
      'app.kubernetes.io/instance': this.render.release.name,
    }));
  }

  /** All labels of a component's objects: the standard ones, the common labels and `extra` (e.g. podLabels). */
  public labels(component: string, extra: ValueOrConstant<Record<string, string>> = {}): Record<string, ValueOrConstant<string>> {
    return this.render.sharedMap(`${this.props.templatePrefix}.labels`, { component, extra }, (p) =>
      this.render.withEntriesOf(
        {
          'app.kubernetes.io/name': this.props.name,
          'app.kubernetes.io/instance': this.render.release.name,
          'app.kubernetes.io/version': this.props.version,
          'app.kubernetes.io/component': p.component,
          'app.kubernetes.io/part-of': this.props.partOf,
          'app.kubernetes.io/managed-by': this.render.release.service,
          'helm.sh/chart': this.props.chartLabel,
        },
        this.render.mergeMaps(this.props.common.commonLabels, p.extra),
      ),
    );
  }

  /**
   * Annotations of an object: the user's common ones, then KEPT_ON_UNINSTALL (`keptOnUninstall`), its own
   * `annotations` and `extraAnnotations`, each winning over those before it.
   */
  public annotations(opts: Omit<MetaOptions, 'namespace'> = {}): Record<string, ValueOrConstant<string>> {
    return this.annotationsOf(opts.keptOnUninstall, this.ownAnnotations(opts));
  }

  private annotationsOf(keptOnUninstall: ValueOrConstant<boolean> | undefined, own: ValueOrConstant<Record<string, string>> | undefined): Record<string, ValueOrConstant<string>> {
    const common = this.props.common.commonAnnotations;
    if (!keptOnUninstall && own === undefined) return this.render.withEntriesOf({}, this.render.checkAnnotations(common, 'commonAnnotations'));
    // ifElse on maps: in a chart a `ternary` of two dicts, as the parameter is only known there.
    const kept = this.render.ifElse(keptOnUninstall ?? false, KEPT_ON_UNINSTALL as never, {} as never) as ValueOrConstant<Record<string, string>>;
    const merged = this.render.mergeMaps(common, kept, ...(own === undefined ? [] : [own]));
    return this.render.withEntriesOf({}, this.render.checkAnnotations(merged, "commonAnnotations and the object's own annotations"));
  }

  private ownAnnotations(opts: Pick<MetaOptions, 'annotations' | 'extraAnnotations'>): ValueOrConstant<Record<string, string>> | undefined {
    const given = opts.annotations && Object.keys(opts.annotations).length > 0 ? (opts.annotations as ValueOrConstant<Record<string, string>>) : undefined;
    if (given && opts.extraAnnotations) return this.render.mergeMaps(given, opts.extraAnnotations);
    return given ?? opts.extraAnnotations;
  }

  /**
   * metadata for a namespaced object: its name, then its namespace, labels and annotations. In a chart
   * those three are one named template with the component, the object's own annotations and whether it is
   * kept on uninstall as parameters, so each object's metadata reads as its name and what sets it apart.
   */
  public meta(base: ValueOrConstant<string>, component: string, opts: MetaOptions = {}) {
    const name = this.name(base);
    if (opts.namespace !== undefined) {
      return { name, namespace: opts.namespace, labels: this.labels(component), annotations: this.annotations(opts) };
    }
    const params = { component, annotations: this.ownAnnotations(opts), keptOnUninstall: opts.keptOnUninstall || undefined };
    return {
      name,
      ...this.render.sharedMap(`${this.props.templatePrefix}.metadata`, params, (p) => ({
        namespace: this.render.release.namespace,
        labels: this.labels(p.component),
        annotations: this.annotationsOf(p.keptOnUninstall, p.annotations),
      })),
    };
  }
}

/** What a product is, wherever it is rendered: its name, what it is part of, its values, its versions. */
export interface ProductInfo<S extends z.ZodType> {
  /** `app.kubernetes.io/name`, e.g. "md-icapsrv". */
  readonly name: string;
  /** `app.kubernetes.io/part-of`. */
  readonly partOf: string;
  /** Its values. */
  readonly schema: S;
  /** The version of its own chart: the `helm.sh/chart` label where no chart renders it (a cdk8s Chart of its own, not a RawChart). */
  readonly chartVersion: string;
  /** The image tag that is its version (`app.kubernetes.io/version`). */
  readonly version: (values: ValueTree<z.output<S>>) => ValueOrConstant<string>;
}

export interface ProductIdentityOptions {
  /** `app.kubernetes.io/name` of the objects: the product, e.g. "web". */
  readonly name: string;
  /** `app.kubernetes.io/part-of`. @default the chart's name */
  readonly partOf?: string;
  /** `app.kubernetes.io/version`, e.g. the image tag value. @default the chart's version */
  readonly version?: ValueOrConstant<string>;
  /** The namePrefix, commonLabels and commonAnnotations values, if the chart has them. @default none */
  readonly common?: Partial<CommonValues>;
}

/**
 * The Identity of a platform team's own product in a chart (its `app.kubernetes.io/name`, e.g. a web
 * front-end): standard `app.kubernetes.io/*` labels and selectors per component from named templates (as
 * the library's products' objects have), `helm.sh/chart`, and release-scoped names with `scopedName()`, so
 * two releases in one namespace never collide.
 *
 * ```ts
 * const web = productIdentity(scope, { name: 'web', version: values.web.image.tag });
 * new kplus.Deployment(scope, 'web', { metadata: { name: text(web.scopedName('web')), labels: ... } });
 * ```
 */
export function productIdentity(scope: Construct, opts: ProductIdentityOptions): Identity {
  const render = Render.of(scope);
  const chart = render.chart ?? { name: opts.name, version: '0.0.0' };
  const place = pathInChart(scope);
  return new Identity(render, {
    name: opts.name,
    partOf: opts.partOf ?? chart.name,
    version: opts.version ?? chart.version,
    chartLabel: chartLabel(chart.name, chart.version),
    templatePrefix: place ? `${chart.name}.${place}` : chart.name,
    common: {
      namePrefix: opts.common?.namePrefix ?? constant(''),
      commonLabels: opts.common?.commonLabels ?? constant({}),
      commonAnnotations: opts.common?.commonAnnotations ?? constant({}),
    },
  });
}

/** A construct's path below its chart, dotted: where values given as literals are named after. */
function pathInChart(scope: Construct): string {
  const chartPath = Chart.of(scope).node.path;
  return scope.node.path.slice(chartPath ? chartPath.length + 1 : 0).replace(/\//g, '.');
}

/** The `helm.sh/chart` label value of a chart: `<name>-<version>`, `+` replaced (labels do not allow it). */
export function chartLabel(name: string, version: string): string {
  return `${name}-${version.replace(/\+/g, '_')}`;
}

/**
 * What every product construct starts with: the render context, its values (checked and defaulted in raw
 * mode; in helm mode the chart's values at the place the construct was given them, e.g. `values.icap`)
 * and the identity that names and labels its objects. Several products may share one chart: each
 * names its templates after where its values are, so they never mix.
 */
export function openProduct<S extends z.ZodType>(scope: Construct, product: ProductInfo<S>, props: unknown) {
  const render = Render.of(scope);
  const v = render.values(product.name, product.schema, props);
  const chart = render.chart ?? { name: product.name, version: product.chartVersion };
  const place = render.valuesPath(props) ?? pathInChart(scope);
  const identity = new Identity(render, {
    name: product.name,
    partOf: product.partOf,
    version: product.version(v),
    chartLabel: chartLabel(chart.name, chart.version),
    templatePrefix: place ? `${chart.name}.${place}` : chart.name,
    common: v as unknown as CommonValues,
  });
  return { render, v, identity };
}
