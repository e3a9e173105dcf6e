/**
 * The builder of an OPSWAT product chart from its spec: the product's base (Secrets, database,
 * ServiceAccount, licensing RBAC, credential generator), the env ConfigMap, the pod with the product's own
 * parts and each feature's, the Deployment(s) of the upgrade strategy, the Service, Ingress, autoscaler,
 * disruption budget and NetworkPolicy, then each feature's objects. Each part is gathered over the
 * product's own and its features in list order; each value is wired in one place.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { ChartDefinition, ChartMetadata, defineChart } from '../core/chart';
import { KubeObject } from '../core/kube-object';
import { ValueOrConstant, Value, ValueTree } from '../core/template';
import { AnyFeature, FeatureContext, NamedCase, PodNames, PodPart, ProductNames, RestEndpoint } from './feature';
import { SecretHandle, secretHandle, ServiceHandle, WorkloadHandle } from './handles';
import { ProductInfo, openProduct } from './identity';
import { IngressPolicy } from './network-policy';
import { opswatPodTemplate, OpswatProductBaseProps, opswatProductBase, OpswatSecrets } from './opswat';
import { EnvVar, fieldEnv } from './pod';
import { PostgresDatabase, WAIT_CONTAINER } from './postgres';
import { Autoscaler, DisruptionBudget, ReservedPodNames, RestIngress, sessionAffinitySpec } from './product';
import { SettingsSecret } from './settings-secret';
import { PortCheckTest } from './test-hook';
import { restScheme, TlsEndpoint } from './features/tls';
import { serviceSpecFields } from './features/service';
import { UpgradableDeployment } from './upgradable-deployment';
import { compatibleSelector } from './vendor-compat';

/** The values the builder itself reads, besides the base's (every OPSWAT product chart has them). */
export type OpswatProductValues = OpswatProductBaseProps['values'] &
  ValueTree<{
    acceptEula: boolean;
    activationServer: string;
    replicaCount: number;
    image: { tag: string; digest: string };
    ports: { rest: number };
    service: {
      type: string;
      annotations: Record<string, string>;
      sessionAffinity: string;
      sessionAffinityTimeoutSeconds: number;
      externalTrafficPolicy: string;
      internalTrafficPolicy: string;
      loadBalancerIP: string;
      loadBalancerSourceRanges: string[];
      loadBalancerClass: string;
    };
    autoscaling: { enabled: boolean };
    tests: { image: string };
  }> & {
    readonly strategy: ConstructorParameters<typeof UpgradableDeployment>[2]['strategy'];
    readonly ingress: ConstructorParameters<typeof RestIngress>[2]['values'];
    readonly autoscaling: ConstructorParameters<typeof Autoscaler>[2]['values'];
    readonly podDisruptionBudget: ConstructorParameters<typeof DisruptionBudget>[2]['values'];
    readonly networkPolicy: ConstructorParameters<typeof IngressPolicy>[2]['values'];
    readonly tls: { readonly https: TlsEndpoint };
    readonly upgrade?: ValueTree<{ migrateHistory: boolean }>;
  };

/** What the product's own hooks see: the features' context on the whole values (typed as the product's), and the base. */
export interface ProductContext<V> extends Omit<FeatureContext<V>, 'values'> {
  readonly values: V;
  readonly secrets: OpswatSecrets;
  readonly database: PostgresDatabase;
  /** The licensing Secret the server records its activation in (CUSTOM_SECRET). */
  readonly licensingSecret: ValueOrConstant<string>;
  readonly configMapName: ValueOrConstant<string>;
}

/** A product: its names, its own parts, and its features. */
export interface OpswatProductSpec<V = OpswatProductValues> {
  readonly component: ProductInfo<z.ZodType>;
  /** Its names, and those of its in-cluster database ("postgres-core"), env ConfigMap ("mdcore-env") and Ingress. */
  readonly names: ProductNames & { readonly database: string; readonly configMap: string; readonly ingress: string };
  /** The product's own env ConfigMap entries, after ACCEPT_EULA, ACTIVATION_SERVER and REST_PORT and before the features'. */
  readonly config: (ctx: ProductContext<V>) => Record<string, ValueOrConstant<string>>;
  /** The product's own pod parts (the env its pods read about themselves, its ports), before the features'. */
  readonly pod: (ctx: ProductContext<V>) => PodPart;
  /** Ports of its Service (names as in the pod). */
  readonly servicePorts: (ctx: ProductContext<V>) => unknown[];
  /**
   * Names of its ports (keys of the `ports` value): of a Service of one blue-green slot, of the Service
   * handle, the ones its NetworkPolicy opens (one the pods do not have opens nothing), the one `helm test` checks.
   */
  readonly portNames: { readonly slot: readonly string[]; readonly service: readonly string[]; readonly networkPolicy: readonly string[]; readonly test: string };
  /** Its features, in the order their pod parts, ConfigMap entries and objects come. */
  readonly features: readonly AnyFeature[];
}

/** The hand-written equivalence cases of a product's features. */
export function featureCases(spec: OpswatProductSpec<never>): NamedCase[] {
  return spec.features.flatMap((f) => f.cases ?? []);
}

/** The env a product's container takes from Secrets, by what it holds: the base's and each feature's. */
export function featureSecretEnv(features: readonly AnyFeature[]): Record<string, string> {
  return Object.assign({}, ...features.map((f) => f.secretEnv ?? {}));
}

/**
 * The names a product pod has whatever the values: its container (`names.name`), the wait for the database,
 * its own (`own`: a sidecar of the product's) and each feature's; sorted, for the schema and its description.
 */
export function reservedPodNames(names: ProductNames, features: readonly AnyFeature[], own: PodNames = {}): ReservedPodNames {
  const all = [own, ...features.map((f) => f.reserves ?? {})];
  const union = (key: keyof PodNames, ...more: string[]) => [...new Set([...more, ...all.flatMap((r) => r[key] ?? [])])].sort();
  return { volumes: union('volumes'), containers: union('containers', names.name, WAIT_CONTAINER) };
}

/** An OPSWAT product, built from its spec: see the file comment. */
export class OpswatProduct extends Construct {
  /** Name of the Service clients connect to. */
  public readonly serviceName: Value<string>;
  /** The Service: its name, ports and the selector of the serving pods. */
  public readonly service: ServiceHandle;
  /** Its Secrets: admin credentials (user, password), API key (value), licence key (value), database credentials (user, password). */
  public readonly secrets: { readonly credentials: SecretHandle; readonly apiKey: SecretHandle; readonly license: SecretHandle; readonly database: SecretHandle };
  /** Its Deployment, ServiceAccount and pods. */
  public readonly workload: WorkloadHandle;

  constructor(scope: Construct, id: string, productSpec: OpswatProductSpec<never>, props: unknown) {
    super(scope, id);
    // The spec's hooks are typed with the product's own values, which extend what the builder reads.
    const spec = productSpec as unknown as OpswatProductSpec;
    const { render, v: values, identity } = openProduct(this, spec.component, props);
    const v = values as unknown as OpswatProductValues;
    const { name: base, component, prefix } = spec.names;
    const name = identity.name(base);
    this.serviceName = name;

    const { secrets, database, serviceAccountName, licensing } = opswatProductBase(this, { identity, component, prefix, databaseName: spec.names.database, values: v });
    const rest: RestEndpoint = { port: v.ports.rest, scheme: restScheme(render, v.tls.https) };
    const ports = (names: readonly string[]) => names.map((n) => ({ name: n, port: portValue(v, n) }));
    const settings = new SettingsSecret(this, identity, component, `${prefix}-settings`);
    const configMapName = identity.name(spec.names.configMap);
    const common = { scope: this, render, identity, product: spec.names, values: v, settings, rest };
    const ctx: ProductContext<OpswatProductValues> = { ...common, own: v, secrets, database, licensingSecret: licensing.secretName, configMapName };
    // A feature's own values are keys at the root: it reads them from the whole.
    const featureCtx = (): FeatureContext<never> => ({ ...common, own: v as never });

    const always = { ACCEPT_EULA: render.str(v.acceptEula), ACTIVATION_SERVER: v.activationServer, REST_PORT: render.str(v.ports.rest) };
    const envData = Object.assign(always, spec.config(ctx), ...spec.features.map((f) => f.config?.(featureCtx()) ?? {})) as Record<string, ValueOrConstant<string>>;
    new KubeObject(this, 'Env', { apiVersion: 'v1', kind: 'ConfigMap', metadata: identity.meta(spec.names.configMap, component), data: envData });

    const pod = mergeParts([spec.pod(ctx), ...spec.features.map((f) => f.pod?.(featureCtx()) ?? {})]);
    settings.build('Settings');
    const vendorSelector = compatibleSelector(render, v.compatibility.vendorSelectors, name, identity.selector(component));
    const autoscalers = spec.features.flatMap((f) => (f.autoscales ? [f.autoscales(featureCtx())] : []));

    const workload = new UpgradableDeployment(this, 'Workload', {
      identity,
      component,
      name: base,
      strategy: v.strategy,
      replicas: v.replicaCount,
      autoscaled: autoscalers.length === 0 ? v.autoscaling.enabled : render.or(v.autoscaling.enabled, ...autoscalers),
      imageTag: v.image.tag,
      imageDigest: v.image.digest,
      selector: vendorSelector.selector,
      slotPorts: ports(spec.portNames.slot),
      podTemplate: (pods) =>
        opswatPodTemplate(
          render,
          {
            identity,
            component,
            values: v,
            containerName: base,
            serviceAccountName,
            configMapName,
            configChecksum: render.checksum(envData, { name: `${identity.props.templatePrefix}.envChecksum` }),
            secrets,
            database,
            podLabels: vendorSelector.podLabels,
            probe: { port: 'rest', scheme: rest.scheme.probe },
            // A history migration can run for hours: a liveness probe would kill it (vendor pre-step).
            withoutLiveness: v.upgrade?.migrateHistory,
            ...pod,
          },
          pods,
        ),
    });

    frontObjects(ctx, spec, workload.serviceSelector);
    for (const f of spec.features) f.objects?.({ ...featureCtx(), secrets, database, workload, serviceName: name });

    this.service = { name, ports: Object.fromEntries(ports(spec.portNames.service).map((p) => [p.name, p.port])), selector: workload.serviceSelector };
    this.secrets = {
      credentials: secretHandle(secrets.credentials, ['user', 'password']),
      apiKey: secretHandle(secrets.apiKey, ['value']),
      license: secretHandle(secrets.license, ['value']),
      database: secretHandle(database.credentials, ['user', 'password']),
    };
    this.workload = { name, serviceAccountName, podSelector: identity.selector(component) };
  }
}

/** What reaches the product's pods: its Service, the optional Ingress, autoscaler, disruption budget and NetworkPolicy. */
function frontObjects(ctx: ProductContext<OpswatProductValues>, spec: OpswatProductSpec, selector: Record<string, ValueOrConstant<string>>) {
  const { scope, render, identity, values: v } = ctx;
  const { name: base, component } = spec.names;
  new KubeObject(scope, 'Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: identity.meta(base, component, { extraAnnotations: v.service.annotations }),
    spec: { type: v.service.type, ...sessionAffinitySpec(render, v.service), ...serviceSpecFields(render, v.service), selector, ports: spec.servicePorts(ctx) },
  });
  new RestIngress(scope, 'Ingress', { identity, component, name: spec.names.ingress, serviceName: identity.name(base), portName: 'rest', values: v.ingress });
  new Autoscaler(scope, 'Autoscaler', { identity, component, name: base, values: v.autoscaling });
  new DisruptionBudget(scope, 'DisruptionBudget', { identity, component, name: base, values: v.podDisruptionBudget });
  new IngressPolicy(scope, 'NetworkPolicy', { identity, name: base, component, podSelector: identity.selector(component), ports: [...spec.portNames.networkPolicy], values: v.networkPolicy, openWhenFromEmpty: true });
}

/** The `helm test` hook of a product: its test port on the Service accepts connections. */
export class OpswatProductTest extends Construct {
  constructor(scope: Construct, id: string, productSpec: OpswatProductSpec<never>, props: unknown) {
    super(scope, id);
    const spec = productSpec as unknown as OpswatProductSpec;
    const { v, identity } = openProduct(this, spec.component, props);
    const values = v as unknown as OpswatProductValues;
    new PortCheckTest(this, 'PortCheck', { identity, name: `${spec.names.name}-test`, host: identity.name(spec.names.name), port: portValue(values, spec.portNames.test), image: values.tests.image });
  }
}

/** A product's info: its chart name and version, part of "metadefender", versioned by its image tag. */
export function productInfo<S extends z.ZodType<{ image: { tag: string } }>>(name: string, chartVersion: string, schema: S): ProductInfo<S> {
  return { name, chartVersion, partOf: 'metadefender', schema, version: (v) => (v as unknown as ValueTree<{ image: { tag: string } }>).image.tag };
}

/** The construct class of a product (its props are its chart's values), for `class MdCore extends productConstruct(...)`. */
export function productConstruct<P>(spec: OpswatProductSpec<never>) {
  return class extends OpswatProduct {
    constructor(scope: Construct, id: string, props: P = {} as P) {
      super(scope, id, spec, props);
    }
  };
}

/** The `helm test` construct class of a product. */
export function productTestConstruct<P>(spec: OpswatProductSpec<never>) {
  return class extends OpswatProductTest {
    constructor(scope: Construct, id: string, props: P = {} as P) {
      super(scope, id, spec, props);
    }
  };
}

/** What a product chart says of itself; the rest is the same for every OPSWAT product. */
export type ProductChartMetadata = Omit<ChartMetadata, 'version' | 'kubeVersion' | 'category' | 'sources' | 'maintainers'>;

/** A product's chart: its spec's component and constructs, its own metadata and what every OPSWAT product chart says. */
export function defineProductChart<S extends z.ZodType>(
  component: ProductInfo<S>,
  constructs: { product: new (scope: Construct, id: string, props: never) => Construct; test: new (scope: Construct, id: string, props: never) => Construct },
  metadata: ProductChartMetadata,
): ChartDefinition<S> {
  return defineChart({
    name: component.name,
    schema: component.schema,
    metadata: {
      version: component.chartVersion,
      kubeVersion: '>=1.30.0-0',
      category: 'security',
      sources: ['https://github.com/OPSWAT/metadefender-k8s'],
      maintainers: [{ name: 'Platform Team', email: 'platform@example.com' }],
      ...metadata,
    },
    build: (scope, values) => new constructs.product(scope, component.name, values as never),
    tests: (scope, values) => new constructs.test(scope, `${component.name}-test`, values as never),
  });
}

/** The env every product pod reads about itself: its instance name and namespace. */
export function instanceEnv(instanceVar: string, ...more: string[]) {
  return [fieldEnv(instanceVar, 'metadata.name'), ...more.map((n) => fieldEnv(n, 'metadata.name')), fieldEnv('MY_POD_NAMESPACE', 'metadata.namespace')];
}

/** The port value of a port name. */
function portValue(v: OpswatProductValues, name: string): ValueOrConstant<number> {
  return (v.ports as unknown as Record<string, ValueOrConstant<number>>)[name]!;
}

/** Each list of the parts, appended in order. */
function mergeParts(parts: PodPart[]) {
  const all = (key: Exclude<keyof PodPart, 'env'>) => parts.flatMap((p) => [...(p[key] ?? [])]);
  const env: EnvVar[] = parts.flatMap((p) => [...(p.env ?? [])]);
  return { env, volumes: all('volumes'), volumeMounts: all('volumeMounts'), ports: all('ports'), initContainers: all('initContainers'), sidecars: all('sidecars') };
}

