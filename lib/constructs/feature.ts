/**
 * The seam of the product layer: a product feature (OLMS, proxy, TLS, KEDA, ...) is one module made with
 * `defineFeature`, holding its values, what it adds to the product pod (`PodPart`), the objects it makes,
 * its ConfigMap entries, the env it reads from Secrets, the rules that convert the vendor chart's keys of
 * it, and its hand-written equivalence cases. A product (`opswat-product.ts`) is a short spec plus its
 * list of features; the builder gathers each part over the list, in list order.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';
import { EnvVar } from './pod';
import { PostgresDatabase } from './postgres';
import { SettingsSecret } from './settings-secret';
import type { UpgradableDeployment } from './upgradable-deployment';
import type { OpswatSecrets } from './opswat';
import type { Rule } from '../convert/engine';

/** What a feature adds to the product pod; the builder appends each list after the product's own. */
export interface PodPart {
  readonly env?: readonly EnvVar[];
  readonly volumes?: readonly unknown[];
  readonly volumeMounts?: readonly unknown[];
  readonly ports?: readonly unknown[];
  readonly initContainers?: readonly unknown[];
  readonly sidecars?: readonly unknown[];
}

/** Hand-written values that switch a part on, for the equivalence proof (test/cases.ts gathers them). */
export interface NamedCase {
  readonly name: string;
  readonly values: Record<string, unknown>;
}

/** The names a product gives its features: Secret prefix ("mdcore"), workload and Service name ("md-core"). */
export interface ProductNames {
  readonly prefix: string;
  readonly name: string;
  readonly component: string;
  /** Where the vendor chart's values keep this component (`core_components.md-core`), for vendor-key rules. */
  readonly vendorKey: string;
}

/** The REST endpoint of the product: its port, and its scheme as probes ("HTTPS") and URLs ("https") spell it. */
export interface RestEndpoint {
  readonly port: ValueOrConstant<number>;
  readonly scheme: { readonly probe: ValueOrConstant<string>; readonly url: ValueOrConstant<string> };
}

/** What a feature's hooks see. `own` is the feature's values; `values` the whole chart's, for what it shares. */
export interface FeatureContext<Own> {
  readonly scope: Construct;
  readonly render: Render;
  readonly identity: Identity;
  readonly product: ProductNames;
  readonly own: Own;
  // Untyped: each product's values differ; a feature reads only the few shared ones its comment names.
  readonly values: any;
  readonly settings: SettingsSecret;
  readonly rest: RestEndpoint;
}

/** What the objects hook sees besides: the product's Secrets, database, Deployment(s) and Service. */
export interface ObjectsContext<Own> extends FeatureContext<Own> {
  readonly secrets: OpswatSecrets;
  readonly database: PostgresDatabase;
  readonly workload: UpgradableDeployment;
  readonly serviceName: ValueOrConstant<string>;
}

export interface Feature<S extends z.ZodRawShape = z.ZodRawShape> {
  /** Its name in reports and case names. */
  readonly name: string;
  /** Its values, at the root of the chart's values. */
  readonly values: S;
  /** Env its container takes from Secrets, by what it holds (extraEnv may not name them). */
  readonly secretEnv?: Readonly<Record<string, string>>;
  /** Entries of the product's env ConfigMap (read at start; pods roll when they change). */
  config?(ctx: FeatureContext<FeatureValues<S>>): Record<string, ValueOrConstant<string>>;
  /** What it adds to the product pod; may ask the settings Secret for references. */
  pod?(ctx: FeatureContext<FeatureValues<S>>): PodPart;
  /** A condition under which it owns the replica count (an autoscaler of its own). */
  autoscales?(ctx: FeatureContext<FeatureValues<S>>): unknown;
  /** Objects of its own, made after the product's Deployment, Service and common parts. */
  objects?(ctx: ObjectsContext<FeatureValues<S>>): void;
  /** Rules for the vendor chart's keys of this feature, by dotted path (`chart-as-code convert-values`). */
  readonly vendorRules?: Record<string, Rule>;
  /** Its hand-written equivalence cases. */
  readonly cases?: readonly NamedCase[];
}

/** A feature's values as construct code sees them. */
export type FeatureValues<S extends z.ZodRawShape> = ValueTree<z.output<z.ZodObject<S>>>;

/** A feature as a product lists it: each has values of its own, which the builder hands to its hooks. */
export type AnyFeature = Feature<any>;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The values of `features`, in their order, for a product to place among its own. */
export function valuesOf<F extends AnyFeature[]>(...features: F): Intersection<F[number]['values']> {
  return Object.assign({}, ...features.map((f) => f.values));
}

/** Defines a feature (the identity function, for the types). */
export function defineFeature<S extends z.ZodRawShape>(feature: Feature<S>): Feature<S> {
  return feature;
}
