/**
 * multisite-init: the ONAP multisite kubeconfig writer as its own release. The kubeconfig ConfigMap
 * (empty), the writer's ServiceAccount, patch-only RBAC and long-lived token come from the reusable
 * MultisiteKubeconfig construct; the writer runs as a post-install/post-upgrade hook Job, and optionally
 * in a demo consumer that mounts the result (and may run the writer itself as an init container).
 */
import { Construct } from 'constructs';
import { KubeObject } from '../../core/kube-object';
import { defineChart } from '../../core/chart';
import { shellScript } from '../../core/shell-script';
import { ValueTree } from '../../core/template';
import { ProductInfo, openProduct } from '../../constructs/identity';
import { MULTISITE_IMAGE_TAG, MultisiteKubeconfig } from '../../constructs/multisite';
import { podSpecFields } from '../../constructs/pod';
import { multisiteInitValues, MultisiteInitValues, MultisiteInitValuesInput } from './values';
import { CHANGES_0_2_0 } from '../changes';

export * from './values';

const CHART = 'multisite-init';
const CHART_VERSION = '0.2.0';
const CONSUMER = 'consumer';

/** Props of MultisiteInit: exactly the chart's values (all optional, defaults as in values.yaml). */
export type MultisiteInitProps = MultisiteInitValuesInput | ValueTree<MultisiteInitValues>;

/** What the MultisiteInit component is, in its own chart or composed into another. */
export const multisiteInitInfo: ProductInfo<typeof multisiteInitValues> = { name: CHART, chartVersion: CHART_VERSION, partOf: 'onap-multisite', schema: multisiteInitValues, version: (v) => v.multisite.image.tag };

// consumer.sh: waits for the kubeconfig, then idles; exits at once on SIGTERM (sh as PID 1 would otherwise ignore it).
const CONSUMER_SCRIPT = shellScript(__dirname, 'consumer.sh');

/** The writer as a hook Job, and the optional demo consumer. */
export class MultisiteInit extends Construct {
  /** The kubeconfig construct: ConfigMap name, key, namespace, and the helpers to run and mount it. */
  public readonly kubeconfig: MultisiteKubeconfig;

  constructor(scope: Construct, id: string, props: MultisiteInitProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, multisiteInitInfo, props);
    const kubeconfig = new MultisiteKubeconfig(this, 'Kubeconfig', { identity, values: v.multisite });
    this.kubeconfig = kubeconfig;

    render.when(v.job.enabled, () => {
      kubeconfig.addJob('Job', { job: v.job, pod: v, podLabels: v.podLabels, podAnnotations: v.podAnnotations });
    });

    render.when(v.consumer.enabled, () => {
      const consumer = v.consumer;
      const mount = kubeconfig.mount({ mountPath: consumer.mountPath });
      new KubeObject(this, 'Consumer', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: identity.meta('multisite-consumer', CONSUMER, { namespace: kubeconfig.namespace }),
        spec: {
          replicas: 1,
          selector: { matchLabels: identity.selector(CONSUMER) },
          template: {
            metadata: {
              labels: identity.labels(CONSUMER, v.podLabels),
              ...render.fieldsIf(v.podAnnotations, { annotations: render.checkAnnotations(v.podAnnotations, 'podAnnotations') }),
            },
            spec: {
              // The writer's token reaches only its own container, through its own volume.
              automountServiceAccountToken: false,
              ...render.fieldsIf(consumer.runWriter, { serviceAccountName: kubeconfig.serviceAccountName, initContainers: kubeconfig.initContainer() }),
              ...podSpecFields(identity, v),
              containers: [
                {
                  name: 'consumer',
                  image: consumer.image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['sh', '-c', CONSUMER_SCRIPT],
                  env: [mount.env],
                  readinessProbe: { exec: { command: ['sh', '-c', 'test -s "$KUBECONFIG"'] }, periodSeconds: 5, failureThreshold: 3 },
                  resources: consumer.resources,
                  securityContext: identity.securityContextValue(v.securityContext),
                  volumeMounts: [mount.volumeMount],
                },
              ],
              volumes: [mount.volume, ...render.itemsIf(consumer.runWriter, kubeconfig.volumes())],
            },
          },
        },
      });
    });
  }
}

/** The `helm test` hook: the kubeconfig is in the ConfigMap, mounted as a consumer would. */
export class MultisiteInitTest extends Construct {
  constructor(scope: Construct, id: string, props: MultisiteInitProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, multisiteInitInfo, props);
    const { configMapName, namespace, key } = MultisiteKubeconfig.locate(render, identity, v.multisite);
    new KubeObject(this, 'Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: identity.meta('multisite-init-test', 'test', {
        annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
        namespace,
      }),
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        securityContext: identity.securityContext({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } }),
        containers: [
          {
            name: 'kubeconfig',
            image: v.tests.image,
            command: ['sh', '-c', 'test -s "$KUBECONFIG" && grep -q "^current-context: " "$KUBECONFIG"'],
            env: [{ name: 'KUBECONFIG', value: `/kube/${key}` }],
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
            volumeMounts: [{ name: 'kubeconfig', mountPath: '/kube', readOnly: true }],
          },
        ],
        volumes: [{ name: 'kubeconfig', configMap: { name: configMapName } }],
      },
    });
  }
}

export const multisiteInitChart = defineChart({
  name: multisiteInitInfo.name,
  schema: multisiteInitInfo.schema,
  metadata: {
    version: multisiteInitInfo.chartVersion,
    changes: CHANGES_0_2_0,
    appVersion: MULTISITE_IMAGE_TAG,
    description: 'ONAP multisite kubeconfig init: writes the central site\'s kubeconfig into a Helm-owned ConfigMap, with patch-only RBAC and a token that does not go stale.',
    kubeVersion: '>=1.30.0-0',
    category: 'integration-delivery',
    home: 'https://docs.onap.org/projects/onap-dcaegen2/',
    sources: ['https://github.com/onap/dcaegen2-deployments/tree/master/multisite-init-container'],
    maintainers: [{ name: 'Platform Team', email: 'platform@example.com' }],
    keywords: ['onap', 'multisite', 'kubeconfig'],
    readmeIntro: `The chart creates the ConfigMap \`multisite-kubeconfig-configmap\` **empty**, so Helm owns it and deletes it on
uninstall; a post-install/post-upgrade hook Job \`multisite-init\` then runs the ONAP writer, which builds a
kubeconfig (cluster and context \`multisite.location\`, user \`multisite.user\`, the API server and CA of this
cluster, a ServiceAccount token) and patches it in under \`multisite.key\`. Its ServiceAccount \`multisite-init\`
may \`patch\` that one ConfigMap and nothing else; that is also all the kubeconfig can do until you grant the
ServiceAccount more with your own RoleBindings.

**Token expiry.** Since Kubernetes 1.21 a pod's token is short-lived and dies with its pod, and the Job's pod
is deleted once it succeeds, so a kubeconfig holding that token would go stale at once. With
\`multisite.longLivedToken: true\` (default) the writer gets the token of Secret \`multisite-init-token\` (type
\`kubernetes.io/service-account-token\`), valid until that Secret is deleted: uninstalling revokes it. Set it to
false only where the kubeconfig is rewritten while it is used (\`consumer.runWriter\`: each consumer start
writes its own). Either way only the writer container sees a token (\`automountServiceAccountToken: false\`).
The kubeconfig is a credential stored in a ConfigMap, as the image designs it: restrict who may read
ConfigMaps in the namespace.

Consumers mount the ConfigMap read-only (at \`/opt/onap/kube\` by default) and set \`KUBECONFIG\`; the demo
\`consumer\` shows how, and in code \`MultisiteKubeconfig.mount()\` returns the volume, mount and env.`,
    notes: `The kubeconfig is written by the hook Job {{ printf "%smultisite-init" .Values.namePrefix }} into ConfigMap {{ printf "%s%s" .Values.namePrefix .Values.multisite.configMap }} (key {{ .Values.multisite.key }}) in {{ .Values.multisite.namespace | default .Release.Namespace }}:
  kubectl -n {{ .Values.multisite.namespace | default .Release.Namespace }} get configmap {{ printf "%s%s" .Values.namePrefix .Values.multisite.configMap }} -o jsonpath='{.data.{{ .Values.multisite.key }}}'
{{- if not .Values.multisite.longLivedToken }}

WARNING: multisite.longLivedToken is false: the kubeconfig holds a bound pod token, which expires and dies with its pod.
{{- end }}
`,
  },
  build: (scope, values) => new MultisiteInit(scope, CHART, values),
  tests: (scope, values) => new MultisiteInitTest(scope, `${CHART}-test`, values),
});
