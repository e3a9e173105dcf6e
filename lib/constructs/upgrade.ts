/**
 * Upgrade strategies shared by the MetaDefender products: rolling update, recreate, and blue-green (two
 * slot Deployments, the main Service on the active slot, a preview Service on the other), plus the
 * hot-backup Jobs that carry the configuration from the live slot to the new one.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { quantity, rule } from '../core/schema';
import { Render, Val, Value, Values } from '../core/template';
import { Identity } from './identity';
import { restrictedContainerSecurityContext, secretEnv } from './pod';
import { KubeObject } from '../core/manifest';

const intOrPercent = () => z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?[0-9])%$/)]);
const isZero = (v: number | string) => v === 0 || v === '0%';

export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];
/** The pod label that tells the slots apart; the Services select on it. */
export const SLOT_LABEL = 'chart-as-code/slot';

const slotValues = (replicas: number) =>
  z
    .object({
      imageTag: z
        .union([z.literal(''), z.string().max(63).regex(/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/)])
        .default('')
        .describe('Image tag of this slot; empty for image.tag.'),
      replicas: z.number().int().min(0).max(100).default(replicas).describe('Pods of this slot; scale the idle slot to 0 after a switch.'),
    })
    .strict()
    .default({ imageTag: '', replicas });

/**
 * strategy: RollingUpdate (maxSurge and maxUnavailable never both zero), Recreate, or BlueGreen.
 */
export const upgradeStrategyValues = (maxSurge: number | string, maxUnavailable: number | string) => {
  const defaults = {
    type: 'RollingUpdate' as const,
    rollingUpdate: { maxSurge, maxUnavailable },
    blueGreen: { activeSlot: 'blue' as const, blue: { imageTag: '', replicas: 1 }, green: { imageTag: '', replicas: 0 } },
  };
  return rule(
    z
      .object({
        type: z
          .enum(['RollingUpdate', 'Recreate', 'BlueGreen'])
          .default('RollingUpdate')
          .describe(
            'RollingUpdate replaces pods gradually, gated by readiness; Recreate stops every old pod first; BlueGreen runs two slots and the Service follows blueGreen.activeSlot.',
          ),
        rollingUpdate: z
          .object({
            maxSurge: intOrPercent().default(maxSurge).describe('Pods above the desired count during an update (integer or percent).'),
            maxUnavailable: intOrPercent().default(maxUnavailable).describe('Pods that may be unavailable during an update (integer or percent).'),
          })
          .strict()
          .default({ maxSurge, maxUnavailable }),
        blueGreen: z
          .object({
            activeSlot: z.enum(SLOTS).default('blue').describe('Slot the main Service sends traffic to; the preview Service selects the other.'),
            blue: slotValues(1),
            green: slotValues(0),
          })
          .strict()
          .default(defaults.blueGreen),
      })
      .strict(),
    (s) => s.type !== 'RollingUpdate' || !(isZero(s.rollingUpdate.maxSurge) && isZero(s.rollingUpdate.maxUnavailable)),
    {
      message: 'maxSurge and maxUnavailable cannot both be zero',
      path: ['rollingUpdate', 'maxUnavailable'],
      counterexample: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
      jsonSchema: {
        not: {
          properties: {
            type: { const: 'RollingUpdate' },
            rollingUpdate: {
              properties: { maxSurge: { enum: [0, '0%'] }, maxUnavailable: { enum: [0, '0%'] } },
              required: ['maxSurge', 'maxUnavailable'],
            },
          },
          required: ['rollingUpdate'],
        },
      },
    },
  ).default(defaults);
};

export type UpgradeStrategy = Values<z.output<ReturnType<typeof upgradeStrategyValues>>>;

interface StrategyRoot {
  strategy: z.output<ReturnType<typeof upgradeStrategyValues>>;
  readinessProbe: { enabled: boolean };
  autoscaling: { enabled: boolean };
}

/**
 * Rules across the root values of a system with an upgrade strategy: rolling and blue-green upgrades
 * need a readiness probe (traffic must only reach ready pods), and an autoscaler cannot drive two slots.
 */
export function withStrategyRules<T extends z.ZodType<StrategyRoot>>(schema: T): T {
  const needsReadiness = rule(schema, (v) => v.strategy.type === 'Recreate' || v.readinessProbe.enabled, {
    message: 'RollingUpdate and BlueGreen need the readiness probe (readinessProbe.enabled), so traffic only reaches ready pods',
    path: ['readinessProbe', 'enabled'],
    counterexample: { strategy: { type: 'RollingUpdate' }, readinessProbe: { enabled: false } } as never,
    jsonSchema: {
      if: { properties: { strategy: { properties: { type: { enum: ['RollingUpdate', 'BlueGreen'] } }, required: ['type'] } }, required: ['strategy'] },
      then: { properties: { readinessProbe: { properties: { enabled: { const: true } } } } },
    },
  });
  return rule(needsReadiness, (v) => v.strategy.type !== 'BlueGreen' || !v.autoscaling.enabled, {
    message: 'autoscaling cannot drive two blue-green slots; set each slot\'s replicas instead',
    path: ['autoscaling', 'enabled'],
    counterexample: { strategy: { type: 'BlueGreen' }, autoscaling: { enabled: true } } as never,
    jsonSchema: {
      if: { properties: { strategy: { properties: { type: { const: 'BlueGreen' } }, required: ['type'] } }, required: ['strategy'] },
      then: { properties: { autoscaling: { properties: { enabled: { const: false } } } } },
    },
  });
}

/** What tells the pods of one Deployment from another's: the slot's image tag and its slot label. */
export interface SlotPods {
  /** The image tag this Deployment runs. */
  readonly imageTag: Val<string>;
  /** The blue-green slot ("blue", "green"), or empty for the only Deployment; pods carry it as SLOT_LABEL. */
  readonly slot: Val<string>;
}

export interface UpgradableDeploymentProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the Deployment ("md-core"); slots are "<name>-blue" and "<name>-green". */
  readonly name: string;
  readonly strategy: UpgradeStrategy;
  /** Replicas of the single Deployment (RollingUpdate/Recreate). */
  readonly replicas: Val<number>;
  /** An autoscaler owns the replica count: leave `replicas` out. */
  readonly autoscaled: Val<boolean>;
  /** The default image tag (image.tag). */
  readonly imageTag: Val<string>;
  /** Builds the pod template; written once, shared by the Deployments (a named template in a Helm chart). */
  readonly podTemplate: (slot: SlotPods) => Record<string, unknown>;
}

/**
 * The product's Deployment(s) per the upgrade strategy. With BlueGreen there are two Deployments, one
 * per slot, each with its own image tag and replica count; `serviceSelector` follows the active slot and
 * `previewSelector` the other one, so switching is one value (`strategy.blueGreen.activeSlot`).
 */
export class UpgradableDeployment extends Construct {
  /** Selects the pods that serve traffic. */
  public readonly serviceSelector: Record<string, Val<string>>;
  /** Selects the idle slot's pods (blue-green only). */
  public readonly previewSelector: Record<string, Val<string>>;
  /** True (a condition) when the strategy is BlueGreen. */
  public readonly blueGreen: Value<boolean>;

  constructor(scope: Construct, id: string, props: UpgradableDeploymentProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, component, strategy } = props;
    const selector = identity.selector(component);
    const blueGreen = render.eq(strategy.type, 'BlueGreen');
    const active = strategy.blueGreen.activeSlot;
    const idle = render.ifElse(render.eq(active, 'blue'), 'green', 'blue');
    this.blueGreen = blueGreen;
    this.serviceSelector = { ...selector, ...render.fieldsIf(blueGreen, { [SLOT_LABEL]: active }) };
    this.previewSelector = { ...selector, [SLOT_LABEL]: idle };
    const podTemplate = (pods: SlotPods) => render.sharedMap(`${identity.props.templatePrefix}.podTemplate`, { ...pods }, (p) => props.podTemplate(p));

    render.when(render.not(blueGreen), () => {
      new KubeObject(this, 'Deployment', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: identity.meta(props.name, component),
        spec: {
          ...render.fieldsIf(render.not(props.autoscaled), { replicas: props.replicas }),
          selector: { matchLabels: selector },
          strategy: {
            type: strategy.type,
            ...render.fieldsIf(render.eq(strategy.type, 'RollingUpdate'), { rollingUpdate: strategy.rollingUpdate }),
          },
          template: podTemplate({ imageTag: props.imageTag, slot: '' }),
        },
      });
    });

    render.when(blueGreen, () => {
      for (const slot of SLOTS) {
        const slotSelector = { ...selector, [SLOT_LABEL]: slot };
        new KubeObject(this, `Deployment-${slot}`, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: identity.meta(`${props.name}-${slot}`, component),
          spec: {
            replicas: strategy.blueGreen[slot].replicas,
            selector: { matchLabels: slotSelector },
            // Within a slot, updates still roll (the slot may be live when its tag changes).
            strategy: { type: 'RollingUpdate', rollingUpdate: strategy.rollingUpdate },
            template: podTemplate({ imageTag: render.coalesce(strategy.blueGreen[slot].imageTag, props.imageTag), slot }),
          },
        });
      }
    });
  }
}

/** Values of the hot backup that carries the configuration across a blue-green switch. */
export const hotBackupValues = () => {
  const defaults = { enabled: false, image: 'curlimages/curl:8.11.1', storage: { size: '1Gi', storageClass: '' }, waitSeconds: 600 };
  return z
    .object({
      enabled: z
        .boolean()
        .default(false)
        .describe('Export the configuration from the live slot before a switch (pre-upgrade Job) and import it into the new one once ready (post-upgrade Job).'),
      image: z.string().min(1).max(255).default(defaults.image).describe('Image of the export/import Jobs (needs sh and curl).'),
      storage: z
        .object({
          size: quantity().default('1Gi').describe('Size of the claim that holds the exported configuration.'),
          storageClass: z.string().default('').describe('Storage class of the claim; empty for the cluster default.'),
        })
        .strict()
        .default(defaults.storage),
      waitSeconds: z.number().int().min(10).max(7200).default(600).describe('How long a Job waits for the product to be ready (and the import for the export).'),
    })
    .strict()
    .default(defaults);
};

export type HotBackupValues = Values<z.output<ReturnType<typeof hotBackupValues>>>;

export interface HotBackupProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name prefix of the objects ("md-core" → md-core-backup, md-core-config-export, ...). */
  readonly name: string;
  /** Service that sends traffic to the live slot: before the switch the old one, after it the new one. */
  readonly service: Val<string>;
  readonly port: Val<number>;
  readonly scheme: Val<string>;
  readonly apiKeySecret: Val<string>;
  readonly credentialsSecret: Val<string>;
  readonly values: HotBackupValues;
  /** Condition: the objects exist only when it holds. */
  readonly enabled: unknown;
}

/** The export and import scripts: POSIX sh, waits bounded by $WAIT_SECONDS, the file written atomically. */
export function hotBackupScripts(dir = '/backup') {
  const waitReady = [
    'url="$SCHEME://$TARGET:$PORT"',
    `i=0; until curl -fsk -o /dev/null "$url/readyz"; do i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "$url not ready"; exit 1; }; sleep 5; done`,
  ];
  return {
    export: [
      'set -eu',
      ...waitReady,
      `curl -fsk -H "apikey: $APIKEY" -H "password: $PASSWORD" -o ${dir}/config.zip.part "$url/admin/export/v2"`,
      `mv ${dir}/config.zip.part ${dir}/config.zip`,
      `date -u > ${dir}/export.done`,
      'echo "exported the configuration of $url"',
    ].join('\n'),
    import: [
      'set -eu',
      `i=0; until [ -f ${dir}/export.done ]; do i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "no export to import"; exit 1; }; sleep 5; done`,
      ...waitReady,
      `curl -fsk -X POST -H "Content-Type: application/octet-stream" -H "apikey: $APIKEY" -H "password: $PASSWORD" --data-binary @${dir}/config.zip "$url/admin/import/v2"`,
      `rm -f ${dir}/export.done`,
      'echo "imported the configuration into $url"',
    ].join('\n'),
  };
}

/**
 * Hot backup: a claim for the export, a pre-upgrade hook Job exporting from the live slot and a
 * post-upgrade hook Job importing into the new live slot. In raw mode the same Jobs run in order because
 * the import waits for the export's marker file. Credentials come from the Secrets, never from values.
 */
export class HotBackup extends Construct {
  constructor(scope: Construct, id: string, props: HotBackupProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, component, values: v } = props;
    const claim = identity.name(`${props.name}-backup`);
    const scripts = hotBackupScripts();

    // One pod for both Jobs, written once: they differ in the container's name and script.
    const pod = (which: 'export' | 'import') =>
      render.sharedMap(`${identity.props.templatePrefix}.hotBackupPod`, { which }, (p) => ({
        metadata: { labels: identity.labels(`${component}-backup`) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, fsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: p.which,
              image: v.image,
              imagePullPolicy: 'IfNotPresent',
              ...render.fieldsIf(render.eq(p.which, 'export'), { command: ['sh', '-c', scripts.export] }),
              ...render.fieldsIf(render.eq(p.which, 'import'), { command: ['sh', '-c', scripts.import] }),
              env: [
                { name: 'SCHEME', value: props.scheme },
                { name: 'TARGET', value: props.service },
                { name: 'PORT', value: render.str(props.port) },
                { name: 'WAIT_SECONDS', value: render.str(v.waitSeconds) },
                secretEnv('APIKEY', props.apiKeySecret, 'value'),
                secretEnv('PASSWORD', props.credentialsSecret, 'password'),
              ],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
              securityContext: restrictedContainerSecurityContext(render, true),
              volumeMounts: [{ name: 'backup', mountPath: '/backup' }],
            },
          ],
          volumes: [{ name: 'backup', persistentVolumeClaim: { claimName: claim } }],
        },
      }));
    const job = (which: 'export' | 'import', hook: string, weight: string) =>
      new KubeObject(this, `${which}-job`, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: identity.meta(`${props.name}-config-${which}`, component, {
          annotations: { 'helm.sh/hook': hook, 'helm.sh/hook-weight': weight, 'helm.sh/hook-delete-policy': 'before-hook-creation' },
        }),
        spec: { backoffLimit: 2, ttlSecondsAfterFinished: 86400, template: pod(which) },
      });

    render.when(props.enabled, () => {
      new KubeObject(this, 'Claim', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: identity.meta(`${props.name}-backup`, component, { annotations: identity.keptOnUninstall() }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: v.storage.size } },
          ...render.fieldsIf(v.storage.storageClass, { storageClassName: v.storage.storageClass }),
        },
      });
      // Export before anything changes, import once the upgraded release is ready.
      job('export', 'pre-upgrade', '-5');
      job('import', 'post-upgrade', '5');
    });
  }
}
