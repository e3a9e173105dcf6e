/**
 * A platform team's own chart: its web front-end (a cdk8s-plus Deployment and the Service it exposes) next
 * to MetaDefender ICAP Server and Core, each product under its own key of the values. One definition gives
 * the raw manifests (main.ts) and a real Helm chart with values.yaml and values.schema.json (write-chart.ts),
 * proven equal, and two releases of it in one namespace proven apart, by test/composition.test.ts and
 * test/release-scope.test.ts of the chart-as-code repository.
 */
import { ApiObjectMetadata } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { defineChart, image, KubeObject, MdCore, mdCoreValues, MdIcapsrv, mdIcapsrvValues, productIdentity, Render, text } from 'chart-as-code';
import { z } from 'zod';

export const platformValues = z
  .object({
    web: z
      .object({
        enabled: z.boolean().default(true).describe('Run the web front-end.'),
        image: image('nginx', '1.27').describe('Image of the web front-end; its tag is also its app.kubernetes.io/version label.'),
      })
      .strict()
      .prefault({})
      .describe('The platform\'s web front-end, which sends uploads to ICAP.'),
    icap: mdIcapsrvValues.prefault({ acceptEula: true, license: { existingSecret: 'icap-license' } }),
    core: mdCoreValues.prefault({ acceptEula: true, license: { existingSecret: 'core-license' } }),
  })
  .strict();

export const platformChart = defineChart({
  name: 'scanning-platform',
  schema: platformValues,
  metadata: { version: '1.0.0', appVersion: '2026.11', description: 'Upload scanning: a web front-end, MetaDefender ICAP Server and Core.' },
  build: (scope, values) => {
    const render = Render.of(scope);
    const icap = new MdIcapsrv(scope, 'icap', values.icap);
    new MdCore(scope, 'core', values.core);

    render.when(values.web.enabled, () => {
      // Release-scoped name and the standard labels, as the products' own objects have; the chart scopes
      // cdk8s-plus' own pod selector, and the names it generates, to the release.
      const web = productIdentity(scope, { name: 'web', version: values.web.image.tag });
      const labels = web.labels('frontend') as ApiObjectMetadata['labels'];
      const deployment = new kplus.Deployment(scope, 'web', {
        metadata: { name: text(web.scopedName('web')), namespace: text(render.release.namespace), labels },
        podMetadata: { labels },
        replicas: 2,
        containers: [
          {
            name: 'web',
            image: text(`${values.web.image.repository}:${values.web.image.tag}`),
            portNumber: 8080,
            securityContext: { user: 101, group: 101, readOnlyRootFilesystem: false },
            envVariables: {
              ICAP_HOST: kplus.EnvValue.fromValue(text(icap.service.name)),
              // The ICAP API key from the product's own Secret (generated in the cluster, or existingSecret).
              ICAP_API_KEY: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(scope, 'icap-api-key', text(icap.secrets.apiKey.name)), key: 'value' }),
            },
          },
        ],
      });
      deployment.exposeViaService();

      // Only the front-end may reach ICAP (named ports follow the values).
      new KubeObject(scope, 'icap-from-web', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: web.meta(web.scopedName('icap-from-web'), 'frontend'),
        spec: {
          podSelector: { matchLabels: icap.workload.podSelector },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: web.selector('frontend') } }], ports: [{ protocol: 'TCP', port: 'icap' }, { protocol: 'TCP', port: 'rest' }] }],
        },
      });
    });
  },
});
