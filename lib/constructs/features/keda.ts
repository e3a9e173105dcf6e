/**
 * KEDA autoscaling of MetaDefender Core on scan slots: a ScaledObject (keda.sh/v1alpha1) polls
 * `GET /stat/nodes` with the API key (a TriggerAuthentication naming the API key Secret) and scales the
 * Deployment on the share of scan slots in use. Rendered only when enabled; KEDA must be installed.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../../core/kube-object';
import { atLeast } from '../../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../../core/template';
import { Identity } from '../identity';
import { defineFeature } from '../feature';
import { fixed, notNeeded, toBool, toInt, toStr } from '../../convert/engine';

/** Where /stat/nodes keeps the slot counts of the first node. */
export const AVAILABLE_SLOTS = 'statuses.0.scan_queue_details.available_slots';
export const TOTAL_SLOTS = 'statuses.0.scan_queue_details.total_scan_queue';
/** Used-slot percentage from the two triggers (KEDA scaling modifiers refer to triggers by name). */
export const USED_SLOTS_FORMULA = 'total_slots > 0 ? ((total_slots - available_slots) * 100) / total_slots : 0';

export const kedaValues = () =>
  atLeast(
    z
    .object({
      enabled: z
        .boolean()
        .default(false)
        .describe('Scale md-core with KEDA on the share of scan slots in use (a ScaledObject and a TriggerAuthentication; KEDA must be installed). Not with autoscaling.enabled or BlueGreen. Each pod is one licence activation: mind maxReplicas.'),
      minReplicas: z.number().int().min(1).max(100).default(1).describe('Fewest pods.'),
      maxReplicas: z.number().int().min(1).max(100).default(3).describe('Most pods, at least minReplicas; each is one licence activation.'),
      pollingInterval: z.number().int().min(5).max(3600).default(30).describe('Seconds between polls of /stat/nodes.'),
      cooldownPeriod: z.number().int().min(0).max(86400).default(300).describe('Seconds after the last active poll before scaling in.'),
      targetUsedSlotsPercent: z.number().int().min(1).max(100).default(80).describe('Share of scan slots in use (percent) to aim for; above it KEDA adds pods.'),
      url: z
        .union([z.literal(''), z.string().max(2048).regex(/^https?:\/\/[-A-Za-z0-9._~%:/?=&]+$/)])
        .default('')
        .describe('URL KEDA polls; empty for http(s)://<md-core service>.<namespace>.svc.cluster.local:<ports.rest>/stat/nodes.'),
      unsafeSsl: z.boolean().default(false).describe('Accept a REST certificate KEDA cannot verify (self-signed, with tls.https.enabled).'),
    })
    .strict(),
    'maxReplicas',
    'minReplicas',
    { minReplicas: 5, maxReplicas: 2 },
  ).prefault({});

export type KedaValues = ValueTree<z.output<ReturnType<typeof kedaValues>>>;

export interface ScanSlotScalerProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the Deployment it scales, the ScaledObject and the TriggerAuthentication prefix ("md-core"). */
  readonly name: string;
  /** Service and port of the REST API, and its scheme (lower case). */
  readonly service: ValueOrConstant<string>;
  readonly port: ValueOrConstant<number>;
  readonly scheme: ValueOrConstant<string>;
  /** Secret and key holding the API key. */
  readonly apiKeySecret: ValueOrConstant<string>;
  readonly values: KedaValues;
}

export class ScanSlotScaler extends Construct {
  constructor(scope: Construct, id: string, props: ScanSlotScalerProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: keda } = props;
    const authName = `${props.name}-api-auth`;
    const url = render.coalesce(keda.url, `${props.scheme}://${props.service}.${render.release.namespace}.svc.cluster.local:${render.str(props.port)}/stat/nodes`);
    // The two triggers differ in name and value only: written once (a named template in a Helm chart).
    const trigger = (name: string, valueLocation: string) => ({
      type: 'metrics-api',
      // Beside `type`, so the included map is this item's fields (a list item made of an include alone is spliced).
      ...render.sharedMap(`${identity.props.templatePrefix}.slotTrigger`, { name, valueLocation }, (p) => ({
        name: p.name,
        metadata: {
          url,
          format: 'json',
          valueLocation: p.valueLocation,
          authMode: 'apiKey',
          method: 'header',
          keyParamName: 'apikey',
          unsafeSsl: render.str(keda.unsafeSsl),
        },
        authenticationRef: { name: identity.name(authName) },
      })),
    });
    render.when(keda.enabled, () => {
      new KubeObject(this, 'ApiKey', {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: identity.meta(authName, props.component),
        spec: { secretTargetRef: [{ parameter: 'apiKey', name: props.apiKeySecret, key: 'value' }] },
      });
      new KubeObject(this, 'ScanSlots', {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: identity.meta(props.name, props.component),
        spec: {
          // KEDA's defaults: apiVersion apps/v1, kind Deployment.
          scaleTargetRef: { name: identity.name(props.name) },
          pollingInterval: keda.pollingInterval,
          cooldownPeriod: keda.cooldownPeriod,
          minReplicaCount: keda.minReplicas,
          maxReplicaCount: keda.maxReplicas,
          advanced: {
            scalingModifiers: {
              formula: USED_SLOTS_FORMULA,
              target: render.str(keda.targetUsedSlotsPercent),
              // The percentage is a ratio, like CPU utilisation: Value scales the current replica count by
              // value/target. AverageValue would divide it by the replica count and cap the result at 2.
              metricType: 'Value',
            },
          },
          triggers: [trigger('available_slots', AVAILABLE_SLOTS), trigger('total_slots', TOTAL_SLOTS)],
        },
      });
    });
  }
}

/** KEDA scaling of the product on its scan slots (md-core); it owns the replica count while enabled. */
export const keda = () =>
  defineFeature({
    name: 'KEDA',
    values: { keda: kedaValues() },
    autoscales: ({ own }) => own.keda.enabled,
    objects: (ctx) => {
      new ScanSlotScaler(ctx.scope, 'Keda', {
        identity: ctx.identity,
        component: ctx.product.component,
        name: ctx.product.name,
        service: ctx.serviceName,
        port: ctx.rest.port,
        scheme: ctx.rest.scheme.url,
        apiKeySecret: ctx.secrets.apiKey.secretName,
        values: ctx.own.keda,
      });
    },
    vendorRules: {
      'keda.enabled': toBool('keda.enabled'),
      'keda.deployment': fixed('md-core', 'ours scales md-core', 'ours scales its md-core Deployment'),
      'keda.minReplicas': toInt('keda.minReplicas'),
      'keda.maxReplicas': toInt('keda.maxReplicas'),
      'keda.pollingInterval': toInt('keda.pollingInterval'),
      'keda.cooldownPeriod': toInt('keda.cooldownPeriod'),
      'keda.url': toStr('keda.url'),
      'keda.availableSlotsValueLocation': fixed(AVAILABLE_SLOTS, 'ours reads the same field', `ours reads ${AVAILABLE_SLOTS}`),
      'keda.totalSlotsValueLocation': fixed(TOTAL_SLOTS, 'ours reads the same field', `ours reads ${TOTAL_SLOTS}`),
      'keda.formula': fixed(USED_SLOTS_FORMULA, 'ours uses the same used-slot percentage', 'ours scales on the used-slot percentage; another formula is not offered'),
      'keda.targetValue': toInt('keda.targetUsedSlotsPercent'),
      'keda.authenticationName': notNeeded('ours names it md-core-api-auth'),
      'keda.apiKeySecretName': fixed('mdcore-api-key', 'ours reads the API key Secret (apiKey.existingSecret, else mdcore-api-key)', 'ours reads the API key from apiKey.existingSecret: set that'),
      'keda.apiKeySecretKey': fixed('value', 'ours reads key "value"', 'ours reads key "value" of the API key Secret'),
      'keda.apiKeyHeader': fixed('apikey', 'ours sends header apikey', 'ours sends the key in header apikey, as MetaDefender Core expects'),
    },
    cases: [
      { name: 'KEDA on scan slots', values: { keda: { enabled: true } } },
      { name: 'KEDA with its own URL and targets, over TLS', values: { tls: { https: { enabled: true } }, keda: { enabled: true, minReplicas: 2, maxReplicas: 6, pollingInterval: 15, cooldownPeriod: 600, targetUsedSlotsPercent: 70, unsafeSsl: true } } },
      { name: 'KEDA polling a given URL', values: { keda: { enabled: true, url: 'http://md-core.scan.svc:8008/stat/nodes' } } },
    ],
  });
