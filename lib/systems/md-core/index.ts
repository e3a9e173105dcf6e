import { ValueTree } from '../../core/template';
import { defineProductChart, instanceEnv, OpswatProductSpec, productInfo, productConstruct, productTestConstruct } from '../../constructs/opswat-product';
import { servicePort } from '../../constructs/product';
import { CORE_IMAGE_TAG, MDCORE_FEATURES, MDCORE_NAMES, mdCoreValues, MdCoreValues, MdCoreValuesInput } from './values';
import { opswatChanges } from '../changes';

export * from './values';

/** What the MdCore component is, in its own chart or composed into another. */
export const mdCoreInfo = productInfo('md-core', '0.2.0', mdCoreValues);

/** md-core: its own env and ports; everything else comes from the builder and its features. */
export const mdCoreSpec: OpswatProductSpec<ValueTree<MdCoreValues>> = {
  component: mdCoreInfo,
  names: MDCORE_NAMES,
  config: ({ render, values: v, database, licensingSecret }) => ({
    MDCORE_REST_PORT: render.str(v.ports.rest),
    MDCORE_DB_MODE: '4',
    MDCORE_DB_TYPE: 'remote',
    MDCORE_DB_HOST: database.host,
    MDCORE_DB_PORT: render.str(database.port),
    MDCORE_UPGRADE_FROM_DB_NAME: v.upgrade.fromDbName,
    UPGRADE_DB: render.str(v.upgrade.upgradeDb),
    MIGRATE_HISTORY: render.str(v.upgrade.migrateHistory),
    RETRY_UPGRADE: render.str(v.upgrade.retryUpgrade),
    LICENSING_CLEANUP: render.str(v.licensing.cleanup),
    CUSTOM_SECRET: licensingSecret,
    MDCORE_LICENSE_COMMENT: v.licenseComment,
  }),
  pod: ({ values: v }) => ({ env: instanceEnv('MD_INSTANCE_NAME', 'MY_POD_NAME'), ports: [{ name: 'rest', containerPort: v.ports.rest, protocol: 'TCP' }] }),
  servicePorts: ({ render, values: v }) => [servicePort(render, 'rest', v.ports.rest, v.service.type, v.service.nodePort)],
  portNames: { slot: ['rest'], service: ['rest'], networkPolicy: ['rest'], test: 'rest' },
  features: Object.values(MDCORE_FEATURES),
};

/** Props of MdCore: exactly the chart's values (all optional, defaults as in values.yaml). */
export type MdCoreProps = MdCoreValuesInput | ValueTree<MdCoreValues>;

/**
 * MetaDefender Core: Deployment `md-core` (or blue/green slots), Service `md-core`, ConfigMap
 * `mdcore-env` with the upgrade variables, the product Secrets, licensing clean-up RBAC, the database
 * `postgres-core` with its claim, and the upgrade strategies including the hot-backup Jobs; and what
 * OPSWAT's own chart offers besides: health thresholds, OLMS, the outbound proxy, configuration import,
 * ignition JSON, TLS settings, the storage path on a claim, KEDA scaling on scan slots, and the selectors
 * of a release of that chart taken over in place (secret settings in `mdcore-settings`).
 */
export class MdCore extends productConstruct<MdCoreProps>(mdCoreSpec) {}

/** The `helm test` hook: the REST port of the Service accepts connections. */
export class MdCoreTest extends productTestConstruct<MdCoreProps>(mdCoreSpec) {}

export const mdCoreChart = defineProductChart(mdCoreInfo, { product: MdCore, test: MdCoreTest }, {
  changes: opswatChanges(
    'The features of OPSWAT\'s mdcore chart as typed values: OLMS, outbound proxy, configuration import, ignition, health thresholds, TLS settings, storage path, KEDA scaling on scan slots, HPA metrics and behavior; secrets only in Secrets.',
    { kind: 'fixed', description: 'Hot backup: the import Job reaches the new live slot through a Service of that slot alone (md-core-blue / md-core-green), never the old slot.' },
    { kind: 'security', description: 'Hot backup: the API key and password reach curl on its stdin from a Secret volume, never in its arguments or env; over HTTPS the REST certificate is verified (hotBackup.tls: the certificate itself, a CA Secret, or insecureSkipVerify).' },
    { kind: 'changed', description: 'The in-cluster database image postgres:14, a tag that moves to each new 14.x, is pinned to postgres:14.20.' },
  ),
  appVersion: CORE_IMAGE_TAG,
  description: 'MetaDefender Core: multi-engine file scanning with its database, licence activation and rolling, recreate or blue-green upgrades.',
  home: 'https://www.opswat.com/products/metadefender/core',
  keywords: ['opswat', 'metadefender', 'core', 'antivirus', 'blue-green'],
  readmeIntro: `Upgrades follow \`strategy.type\`:

- **RollingUpdate** (default): new pods take traffic only when ready; \`maxSurge 0, maxUnavailable 1\`
  needs no extra licence activation. Roll back with \`helm rollback\` (or \`kubectl rollout undo
  deployments/md-core\` for raw manifests): the previous image and \`mdcore-env\` come back.
- **Recreate**: every old pod stops before the new version starts. Required with
  \`upgrade.migrateHistory=true\`, which also drops the liveness probe while the migration runs; make
  sure the database has room for a second copy of the history first.
- **BlueGreen**: two Deployments \`md-core-blue\` and \`md-core-green\`, each with its own image tag and
  replicas. \`md-core\` serves \`strategy.blueGreen.activeSlot\`, \`md-core-preview\` the other slot, so a
  new version is tested before \`helm upgrade --reuse-values --set strategy.blueGreen.activeSlot=green\`
  switches traffic. Both slots hold licence activations while they run: scale the idle one to 0 after
  the switch. Roll back by switching \`activeSlot\` back.
- **BlueGreen with hot backup** (\`hotBackup.enabled\`): a pre-upgrade Job exports the configuration of
  the live slot (\`GET /admin/export/v2\`) to a claim, a post-upgrade Job imports it into the new live slot
  once ready (\`POST /admin/import/v2\`); API key and password come from the Secrets, as files handed to curl
  on its stdin. Over HTTPS the Jobs verify the REST certificate: by default it is trusted itself
  (\`tls.https.certSecret\`), or the CA in \`hotBackup.tls.caSecret\`; it must name the Services the Jobs call
  (\`md-core\`, \`md-core-blue\`, \`md-core-green\`), else set \`hotBackup.tls.insecureSkipVerify\`.

Set \`upgrade.upgradeDb=true\` (and \`upgrade.fromDbName\`) when the new version must migrate the database.`,
  notes: `MetaDefender Core {{ .Chart.AppVersion }} is deployed as {{ .Release.Name }} in {{ .Release.Namespace }}.

REST:  {{ printf "%smd-core" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
{{- if eq .Values.strategy.type "BlueGreen" }}
Live slot: {{ .Values.strategy.blueGreen.activeSlot }}; preview: {{ printf "%smd-core-preview" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
Both slots use licence activations while they run.
{{- end }}
{{- if not .Values.acceptEula }}

WARNING: acceptEula is false; the server will not start until you accept the EULA (--set acceptEula=true).
{{- end }}
{{- if and (not .Values.license.key) (not .Values.license.existingSecret) }}

WARNING: no licence key given. Pods wait until Secret {{ printf "%smdcore-license-key" .Values.namePrefix }} (key "value") exists.
{{- end }}
`,
});
