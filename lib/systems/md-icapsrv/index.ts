import { ValueOrConstant, ValueTree } from '../../core/template';
import { OPSWAT_SECRET_ENV } from '../../constructs/opswat';
import { defineProductChart, instanceEnv, OpswatProductSpec, productInfo, productConstruct, productTestConstruct } from '../../constructs/opswat-product';
import { fieldEnv } from '../../constructs/pod';
import { servicePort } from '../../constructs/product';
import { ICAP_IMAGE_TAG, MDICAPSRV_FEATURES, MDICAPSRV_NAMES, mdIcapsrvValues, MdIcapsrvValues, MdIcapsrvValuesInput } from './values';
import { opswatChanges } from '../changes';

export * from './values';

/** What the MdIcapsrv component is, in its own chart or composed into another. */
export const mdIcapsrvInfo = productInfo('md-icapsrv', '0.2.0', mdIcapsrvValues);

/** md-icapsrv: its own env, its ICAP and nginx ports and the deactivation sidecar; the rest from the builder and its features. */
export const mdIcapsrvSpec: OpswatProductSpec<ValueTree<MdIcapsrvValues>> = {
  component: mdIcapsrvInfo,
  names: MDICAPSRV_NAMES,
  config: ({ render, values: v, database, licensingSecret }) => ({
    ICAP_PORT: render.str(v.ports.icap),
    ICAPS_PORT: render.str(v.ports.icaps),
    NGINX_PORT: render.str(v.ports.nginx),
    NGINXS_PORT: render.str(v.ports.nginxs),
    ENABLE_NGINX: render.str(v.nginx.enabled),
    DB_MODE: '4',
    DB_TYPE: 'remote',
    DB_HOST: database.host,
    DB_PORT: render.str(database.port),
    MDICAPSRV_DB_NAME: v.database.name,
    ENABLE_HEALTHCHECK: 'true',
    LOG_LEVEL: v.logLevel,
    CUSTOM_SECRET: licensingSecret,
  }),
  pod: ({ render, identity, values: v, secrets, configMapName }) => {
    const port = (name: string, containerPort: ValueOrConstant<number>) => ({ name, containerPort, protocol: 'TCP' });
    const sidecar = v.deactivation.sidecar;
    return {
      env: [...instanceEnv('MDICAPSRV_INSTANCE_NAME'), ...render.itemsIf(v.licensing.cleanup, [{ name: 'LICENSING_CLEANUP', value: 'true' }])],
      ports: [
        port('rest', v.ports.rest),
        port('icap', v.ports.icap),
        ...render.itemsIf(v.tls.icaps.enabled, [port('icaps', v.ports.icaps)]),
        ...render.itemsIf(v.nginx.enabled, [port('nginx', v.ports.nginx)]),
        ...render.itemsIf(render.and(v.nginx.enabled, v.tls.nginxs.enabled), [port('nginxs', v.ports.nginxs)]),
      ],
      sidecars: render.itemsIf(sidecar.enabled, [
        {
          name: 'deactivation',
          image: sidecar.image,
          imagePullPolicy: v.image.pullPolicy,
          ...render.fieldsIf(sidecar.command, { command: sidecar.command }),
          envFrom: [{ configMapRef: { name: configMapName } }],
          env: [...secrets.env().filter((e) => e.name === OPSWAT_SECRET_ENV.apiKey || e.name === OPSWAT_SECRET_ENV.license), fieldEnv('MDICAPSRV_INSTANCE_NAME', 'metadata.name')],
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
          securityContext: identity.securityContextValue(v.securityContext),
        },
      ]),
    };
  },
  servicePorts: ({ render, values: v }) => {
    const port = (name: 'rest' | 'icap' | 'icaps') => servicePort(render, name, v.ports[name], v.service.type, v.service.nodePorts[name]);
    return [port('rest'), port('icap'), ...render.itemsIf(v.tls.icaps.enabled, [port('icaps')])];
  },
  portNames: { slot: ['rest', 'icap'], service: ['rest', 'icap', 'icaps'], networkPolicy: ['rest', 'icap', 'icaps', 'nginx', 'nginxs'], test: 'icap' },
  features: Object.values(MDICAPSRV_FEATURES),
};

/** Props of MdIcapsrv: exactly the chart's values (all optional, defaults as in values.yaml). */
export type MdIcapsrvProps = MdIcapsrvValuesInput | ValueTree<MdIcapsrvValues>;

/**
 * MetaDefender ICAP Server: Deployment and Service `md-icapsrv`, ConfigMap `mdicapsrv-env`, optional
 * Ingress `icap-ingress`, the API key / admin / licence / database Secrets, licensing clean-up with its
 * least-privilege RBAC, graceful licence deactivation, optional in-cluster Postgres, HPA and PDB; and what
 * OPSWAT's own chart offers besides: OLMS, the outbound proxy, trusted CA certificates, configuration
 * import, ignition JSON, data retention, persistent server data, the database clean-up CronJob, and the
 * selectors of a release of that chart taken over in place (secret settings in `mdicapsrv-settings`).
 */
export class MdIcapsrv extends productConstruct<MdIcapsrvProps>(mdIcapsrvSpec) {}

/** The `helm test` hook: the ICAP port of the Service accepts connections. */
export class MdIcapsrvTest extends productTestConstruct<MdIcapsrvProps>(mdIcapsrvSpec) {}

export const mdIcapsrvChart = defineProductChart(mdIcapsrvInfo, { product: MdIcapsrv, test: MdIcapsrvTest }, {
  changes: opswatChanges('The features of OPSWAT\'s icap chart as typed values: OLMS, outbound proxy, trusted CA certificates, configuration import, ignition, data retention, database clean-up CronJob, persistence, extra volumes and init containers; secrets only in Secrets.'),
  appVersion: ICAP_IMAGE_TAG,
  description: 'MetaDefender ICAP Server: ICAP/ICAPS scanning service with licence activation, licensing clean-up and optional in-cluster Postgres.',
  home: 'https://www.opswat.com/products/metadefender/icap',
  keywords: ['opswat', 'metadefender', 'icap', 'antivirus'],
  readmeIntro: `Each pod activates one licence on start (LICENSE_KEY from \`mdicapsrv-license-key\`) and
deactivates it on SIGTERM: the pod's grace period is \`deactivation.drainSeconds + deactivation.shutdownSeconds\`.
With \`licensing.cleanup\` the server records its activation in the pre-created Secret \`mdicap-licensing\` so
activations of pods killed without SIGTERM can be cleaned up; its Role may only read and update that one
Secret and read pods (\`licensing.vendorRules: true\` restores the vendor's broad rules).

Passwords and the API key you do not give are generated once, inside the cluster, by the Job
\`mdicapsrv-credentials-<hash>\` (it may only read and patch \`mdicapsrv-cred\`, \`mdicapsrv-api-key\` and
\`mdicapsrv-postgres-cred\`): nothing random is rendered, so \`helm template\`, Argo CD and Flux see the same
manifests every time, and no upgrade, sync or re-apply ever changes a generated value. The Secrets are kept on
uninstall. With \`*.existingSecret\` the chart creates no Secret and references yours.`,
  notes: `MetaDefender ICAP Server {{ .Chart.AppVersion }} is deployed as {{ .Release.Name }} in {{ .Release.Namespace }}.

ICAP:  {{ printf "%smd-icapsrv" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.icap }}
REST:  {{ printf "%smd-icapsrv" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
{{- if not .Values.acceptEula }}

WARNING: acceptEula is false; the server will not start until you accept the EULA (--set acceptEula=true).
{{- end }}
{{- if and (not .Values.license.key) (not .Values.license.existingSecret) }}

WARNING: no licence key given. Pods wait until Secret {{ printf "%smdicapsrv-license-key" .Values.namePrefix }} (key "value") exists:
  kubectl -n {{ .Release.Namespace }} create secret generic {{ printf "%smdicapsrv-license-key" .Values.namePrefix }} --from-literal=value=<KEY>
{{- end }}
`,
});
