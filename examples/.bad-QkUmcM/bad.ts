// A platform team's own cdk8s app using the constructs (compiled and synthesized by the tests).
import { App, Chart } from 'cdk8s';
import { MdIcapsrv } from 'chart-as-code';

const app = new App();
const scanning = new Chart(app, 'scanning', { namespace: 'scanning', disableResourceNameHashes: true });

// Props are the chart's values, typed from its schema: a typo is a compile error, a bad value a clear one.
const icap = new MdIcapsrv(scanning, 'icap', {
  acceptEula: true,
  replicaCount: 'two',
  license: { existingSecret: 'icap-license' },
  credentials: { existingSecret: 'icap-admin' },
  ingress: { enabled: true, className: 'nginx', host: 'icap.example.com', tls: { secretName: 'icap-tls' } },
  podDisruptionBudget: { enabled: true },
});

// Constructs expose what other workloads need, e.g. the Service to point ICAP clients at.
console.log(`ICAP clients connect to ${icap.serviceName}:1344`);
app.synth();
