/**
 * Blue-green with hot backup: the Jobs that carry the configuration from the live slot to the new one
 * (export before the switch, import once the new slot is ready) and the claim between them.
 */
import * as path from 'node:path';
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../../core/kube-object';
import { CONFIG_KEY, imageReference, optionalDnsName, optionalSecretName, positiveQuantity } from '../../core/schema';
import { shellScript } from '../../core/shell-script';
import { Render, ValueOrConstant, ValueTree } from '../../core/template';
import { Identity } from '../identity';
import { ARGO_BEFORE_GENERATOR, ARGO_GENERATOR_WAVE } from '../secret';
import { SLOTS } from '../strategy';
import { UpgradableDeployment } from '../upgradable-deployment';
import { restrictedContainerSecurityContext } from '../pod';
import { TlsEndpoint } from './tls';
import { defineFeature } from '../feature';

/** Values of the hot backup that carries the configuration across a blue-green switch. */
export const hotBackupValues = () => {
  return z
    .object({
      enabled: z
        .boolean()
        .default(false)
        .describe('Export the configuration from the live slot before a switch (pre-upgrade Job) and import it into the new one once ready (post-upgrade Job).'),
      image: imageReference().default('curlimages/curl:8.11.1').describe('Image of the export/import Jobs (needs sh and curl).'),
      storage: z
        .object({
          size: positiveQuantity().default('1Gi').describe('Size of the claim that holds the exported configuration.'),
          storageClass: optionalDnsName().default('').describe('Storage class of the claim; empty for the cluster default.'),
        })
        .strict()
        .prefault({}),
      waitSeconds: z.number().int().min(10).max(7200).default(600).describe('How long a Job waits for the product to be ready (and the import for the export).'),
      tls: z
        .object({
          insecureSkipVerify: z
            .boolean()
            .default(false)
            .describe("Don't verify the REST certificate when the product serves HTTPS (tls.https.enabled). Off: the Jobs verify it, and it must name the Services they call (md-core, md-core-blue, md-core-green)."),
          caSecret: optionalSecretName()
            .default('')
            .describe('Secret with the CA certificate (PEM) the REST certificate is verified against; empty: the REST certificate itself (tls.https.certSecret) is trusted.'),
          caSecretKey: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).default('ca.crt').describe('Key of the CA certificate in caSecret.'),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({});
};

export type HotBackupValues = ValueTree<z.output<ReturnType<typeof hotBackupValues>>>;

export interface HotBackupProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name prefix of the objects ("md-core" → md-core-backup, md-core-config-export, ...). */
  readonly name: string;
  /** Service that sends traffic to the live slot; the export reads from it before the upgrade changes anything. */
  readonly service: ValueOrConstant<string>;
  /**
   * The blue-green Deployments: the import's target is the slot live after the upgrade, reached through a
   * Service of that slot alone (`<name>-<slot>`), since the live Service may still send to the old slot
   * when the import starts.
   */
  readonly workload: UpgradableDeployment;
  /** The REST port. */
  readonly port: ValueOrConstant<number>;
  readonly scheme: ValueOrConstant<string>;
  /** The REST endpoint's TLS: when on, the Jobs verify its certificate (trusting it, or hotBackup.tls.caSecret). */
  readonly tls: TlsEndpoint;
  readonly apiKeySecret: ValueOrConstant<string>;
  readonly credentialsSecret: ValueOrConstant<string>;
  readonly values: HotBackupValues;
  /** Condition: the objects exist only when it holds. */
  readonly enabled: unknown;
}

/** Where the Jobs' pods mount the product's API key and admin password (files "apikey" and "password"). */
export const HOT_BACKUP_SECRETS_DIR = '/secrets';
/** Where they mount the certificate the REST certificate is verified against. */
const CA_FILE = '/tls/ca.crt';

/**
 * The export and import scripts (hot-backup-export.sh, hot-backup-import.sh): POSIX sh, waits bounded by $WAIT_SECONDS, the file written atomically.
 * The credentials reach curl on its stdin (`-H @-`), read from files by `cat` and the printf builtin, so
 * no process's arguments or environment hold them (any process may read /proc/<pid>/cmdline).
 * $CURL_TLS is curl's TLS option ("--cacert <file>" or "--insecure"), split into words on purpose.
 */
export function hotBackupScripts(dir = '/backup', secrets = HOT_BACKUP_SECRETS_DIR) {
  // The files hold the pod's paths (/backup, /secrets); the tests run them against temporary directories.
  // The chart has always embedded them without a final newline.
  const script = (file: string) =>
    shellScript(__dirname, file, { '/backup/': `${dir}/`, [`${HOT_BACKUP_SECRETS_DIR}/`]: `${secrets}/` }).replace(/\n$/, '');
  return { export: script('hot-backup-export.sh'), import: script('hot-backup-import.sh') };
}

/** The pod of both Jobs, written once (a named template in a chart): they differ in the container's name, script and target. */
function backupPod(render: Render, props: HotBackupProps, claim: ValueOrConstant<string>) {
  const { identity, component, values: v } = props;
  const scripts = hotBackupScripts();
  const verify = render.and(props.tls.enabled, render.not(v.tls.insecureSkipVerify));

  return (which: 'export' | 'import', target: ValueOrConstant<string>) =>
    render.sharedMap(`${identity.props.templatePrefix}.hotBackupPod`, { which, target }, (p) => ({
      metadata: { labels: identity.labels(`${component}-backup`) },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        securityContext: identity.securityContext({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, fsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } }),
        containers: [
          {
            name: p.which,
            image: v.image,
            imagePullPolicy: 'IfNotPresent',
            ...render.fieldsIf(render.eq(p.which, 'export'), { command: ['sh', '-c', scripts.export] }),
            ...render.fieldsIf(render.eq(p.which, 'import'), { command: ['sh', '-c', scripts.import] }),
            env: [
              { name: 'SCHEME', value: props.scheme },
              { name: 'TARGET', value: p.target },
              { name: 'PORT', value: render.str(props.port) },
              { name: 'WAIT_SECONDS', value: render.str(v.waitSeconds) },
              { name: 'CURL_TLS', value: render.ifElse(v.tls.insecureSkipVerify, '--insecure', `--cacert ${CA_FILE}`) },
            ],
            resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
            securityContext: restrictedContainerSecurityContext(render, true),
            volumeMounts: [
              { name: 'backup', mountPath: '/backup' },
              { name: 'credentials', mountPath: HOT_BACKUP_SECRETS_DIR, readOnly: true },
              ...render.itemsIf(verify, [{ name: 'ca', mountPath: path.dirname(CA_FILE), readOnly: true }]),
            ],
          },
        ],
        volumes: [
          { name: 'backup', persistentVolumeClaim: { claimName: claim } },
          {
            name: 'credentials',
            projected: {
              // Readable by the pod's group (fsGroup) only.
              defaultMode: 0o440,
              sources: [
                { secret: { name: props.apiKeySecret, items: [{ key: 'value', path: 'apikey' }] } },
                { secret: { name: props.credentialsSecret, items: [{ key: 'password', path: 'password' }] } },
              ],
            },
          },
          ...render.itemsIf(verify, [
            {
              name: 'ca',
              secret: {
                secretName: render.coalesce(v.tls.caSecret, props.tls.certSecret),
                items: [{ key: render.ifElse(v.tls.caSecret, v.tls.caSecretKey, props.tls.certSecretKey), path: path.basename(CA_FILE) }],
              },
            },
          ]),
        ],
      },
    }));
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
    const pod = backupPod(render, props, claim);
    // Argo CD ignores the Helm hook annotations of an object that has its own: the export as a Sync hook in the
    // generator's wave (after the claim and Secrets, before any workload or Service changes), the import after
    // the sync (PostSync). Argo CD also runs them on a first sync, where the export finds nothing to export.
    const job = (which: 'export' | 'import', target: ValueOrConstant<string>, hook: string, weight: string, argo: Record<string, string>) =>
      new KubeObject(this, `${which}-job`, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: identity.meta(`${props.name}-config-${which}`, component, {
          annotations: {
            'helm.sh/hook': hook,
            'helm.sh/hook-weight': weight,
            'helm.sh/hook-delete-policy': 'before-hook-creation',
            ...argo,
            'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          },
        }),
        spec: { backoffLimit: 2, ttlSecondsAfterFinished: 86400, template: pod(which, target) },
      });

    render.when(props.enabled, () => {
      new KubeObject(this, 'Claim', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: identity.meta(`${props.name}-backup`, component, { keptOnUninstall: true, annotations: ARGO_BEFORE_GENERATOR }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: v.storage.size } },
          ...render.fieldsIf(v.storage.storageClass, { storageClassName: v.storage.storageClass }),
        },
      });
      for (const slot of SLOTS) props.workload.slotService(this, `Service-${slot}`, `${props.name}-${slot}`, slot);
      // Export from the live slot before anything changes; import once the upgraded release is ready, into
      // the slot that is live now, through its own Service.
      job('export', props.service, 'pre-upgrade', '-5', { 'argocd.argoproj.io/hook': 'Sync', ...ARGO_GENERATOR_WAVE });
      job('import', identity.name(`${props.name}-${props.workload.activeSlot}`), 'post-upgrade', '5', { 'argocd.argoproj.io/hook': 'PostSync' });
    });
  }
}

/** Hot backup between blue-green slots (md-core): the export and import Jobs around each upgrade. */
export const hotBackup = () =>
  defineFeature({
    name: 'hot backup',
    values: { hotBackup: hotBackupValues() },
    objects: (ctx) => {
      new HotBackup(ctx.scope, 'HotBackup', {
        identity: ctx.identity,
        component: ctx.product.component,
        name: ctx.product.name,
        service: ctx.serviceName,
        workload: ctx.workload,
        port: ctx.rest.port,
        scheme: ctx.rest.scheme.probe,
        tls: ctx.values.tls.https,
        apiKeySecret: ctx.secrets.apiKey.secretName,
        credentialsSecret: ctx.secrets.credentials.secretName,
        values: ctx.own.hotBackup,
        enabled: ctx.own.hotBackup.enabled,
      });
    },
    cases: [
      {
        name: 'blue-green with hot backup',
        values: { strategy: { type: 'BlueGreen', blueGreen: { green: { replicas: 1, imageTag: '5.21.0' } } }, hotBackup: { enabled: true, storage: { size: '2Gi', storageClass: 'fast' }, waitSeconds: 900 } },
      },
    ],
  });
