/**
 * Names, labels and metadata for every object of a system: product names behind the optional
 * namePrefix, standard app.kubernetes.io/* labels (a named template in charts), the release namespace
 * on every namespaced object, and the user's common labels and annotations.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { systemValues } from '../core/system';
import { Render } from '../core/template';

/**
 * Annotations of objects that hold data and outlive the release: Helm's uninstall, Argo CD's app deletion
 * and Flux's pruning all leave them in place.
 */
export const KEPT_ON_UNINSTALL = {
  'helm.sh/resource-policy': 'keep',
  'argocd.argoproj.io/sync-options': 'Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
} as const;

/** The root values every system has (see commonFields in core/schema). */
export interface CommonValues {
  readonly namePrefix: string;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
}

export interface IdentityProps {
  /** Chart name: `app.kubernetes.io/name`. */
  readonly chartName: string;
  /** Chart version, for the `helm.sh/chart` label. */
  readonly chartVersion: string;
  /** `app.kubernetes.io/part-of`. */
  readonly partOf: string;
  /** `app.kubernetes.io/version`: the image tag in use. */
  readonly version: string;
  readonly common: CommonValues;
}

export interface MetaOptions {
  /** Annotations of this object, besides the common ones. */
  readonly annotations?: Record<string, string>;
  /** A map-valued value merged into the annotations (e.g. service.annotations). */
  readonly extraAnnotations?: Record<string, string>;
}

export class Identity {
  constructor(private readonly render: Render, public readonly props: IdentityProps) {}

  /** An object's name: the product's name behind the release's namePrefix. */
  public name(base: string): string {
    return this.render.objectName(this.props.common.namePrefix, base);
  }

  /** Labels that select a component's pods; never change them on a live release (selectors are immutable). */
  public selector(component: string): Record<string, string> {
    const base = this.render.namedMap('selectorLabels', () => ({
      'app.kubernetes.io/name': this.props.chartName,
      'app.kubernetes.io/instance': this.render.release.name,
    }));
    return { ...base, 'app.kubernetes.io/component': component };
  }

  /** All labels of a component's objects; `extra` (e.g. podLabels) merged with the common ones. */
  public labels(component: string, extra?: Record<string, string>): Record<string, string> {
    const standard = this.render.namedMap('labels', () => ({
      'app.kubernetes.io/name': this.props.chartName,
      'app.kubernetes.io/instance': this.render.release.name,
      'app.kubernetes.io/version': this.props.version,
      'app.kubernetes.io/part-of': this.props.partOf,
      'app.kubernetes.io/managed-by': this.render.release.service,
      'helm.sh/chart': `${this.props.chartName}-${this.props.chartVersion.replace(/\+/g, '_')}`,
    }));
    const user = extra ? this.render.mergeMaps(this.props.common.commonLabels, extra) : this.props.common.commonLabels;
    return this.render.merge({ ...standard, 'app.kubernetes.io/component': component }, user);
  }

  /** Annotations of an object: its own, then the user's common ones. */
  public annotations(opts: MetaOptions = {}): Record<string, string> {
    const extra = opts.extraAnnotations
      ? this.render.mergeMaps(this.props.common.commonAnnotations, opts.extraAnnotations)
      : this.props.common.commonAnnotations;
    return this.render.merge({ ...(opts.annotations ?? {}) }, extra);
  }

  /** metadata for a namespaced object. */
  public meta(base: string, component: string, opts: MetaOptions = {}) {
    return {
      name: this.name(base),
      namespace: this.render.release.namespace,
      labels: this.labels(component),
      annotations: this.annotations(opts),
    };
  }
}

/** Who a system is: its chart, and where its values and version label come from. */
export interface SystemIdentity<S extends z.ZodType> {
  readonly chartName: string;
  readonly chartVersion: string;
  readonly partOf: string;
  readonly schema: S;
  /** The image tag that is the system's version (`app.kubernetes.io/version`). */
  readonly version: (values: z.output<S>) => string;
}

/**
 * What every system construct starts with: the render context, the values (checked and defaulted in raw
 * mode, tokens in helm mode) and the identity that names and labels its objects.
 */
export function openSystem<S extends z.ZodType>(scope: Construct, system: SystemIdentity<S>, props: unknown) {
  const render = Render.of(scope);
  const v = systemValues(scope, system.chartName, system.schema, props) as z.output<S> & CommonValues;
  const identity = new Identity(render, { chartName: system.chartName, chartVersion: system.chartVersion, partOf: system.partOf, version: system.version(v), common: v });
  return { render, v, identity };
}
