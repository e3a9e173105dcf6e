#!/usr/bin/env node
/**
 * A helm 3 post-renderer standing in for OpenShift's SCC admission (restricted-v2): every pod template
 * gets the uid and fsGroup OpenShift would assign from the namespace's range (the argument), where the
 * chart left them out; a uid or fsGroup the chart fixed is left as it is (and the test then sees it). No
 * runAsGroup: OpenShift sets none, so the container runs with group 0, as there. Reads the manifests on
 * stdin, writes them on stdout.
 */
const YAML = require('yaml');

const id = Number(process.argv[2]);
if (!Number.isInteger(id) || id <= 0) {
  process.stderr.write('usage: openshift-admission.js <uid>\n');
  process.exit(2);
}

function podSpec(doc) {
  if (doc.kind === 'Pod') return doc.spec;
  if (doc.kind === 'CronJob') return doc.spec?.jobTemplate?.spec?.template?.spec;
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(doc.kind) ? doc.spec?.template?.spec : undefined;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const docs = YAML.parseAllDocuments(input, { version: '1.1' }).map((d) => d.toJS()).filter((d) => d !== null && typeof d === 'object');
  for (const doc of docs) {
    const spec = podSpec(doc);
    if (!spec) continue;
    spec.securityContext = { ...spec.securityContext };
    spec.securityContext.runAsUser ??= id;
    spec.securityContext.fsGroup ??= id;
  }
  process.stdout.write(docs.map((d) => YAML.stringify(d, { version: '1.1' })).join('---\n'));
});
