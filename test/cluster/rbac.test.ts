/**
 * The RBAC each chart promises, asked of the real authorizer: `kubectl auth can-i --as` the chart's
 * ServiceAccount, and the same through a real token of that ServiceAccount (no admin credentials).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { Can, profiles } from './profiles';
import { chartDirs, cluster, deleteNamespaces, install, Kube, kubectl, kubectlOk, newNamespace } from './support';

afterAll(deleteNamespaces);

function canI(kube: Kube, ns: string, who: string, c: Can): string {
  const r = kubectl(kube, ['auth', 'can-i', c.verb, c.resource, ...(c.namespaced ? ['-n', ns] : ['-A']), `--as=${who}`]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A kubeconfig with only the apiserver address, its CA and `token`: requests are that identity's. */
function tokenKube(admin: Kube, token: string): Kube & { cleanup(): void } {
  const view = JSON.parse(kubectlOk(admin, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sa-kubeconfig-'));
  const file = path.join(dir, 'kubeconfig');
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: view.clusters[0]!.cluster }],
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa' } }],
    'current-context': 'sa',
  };
  fs.writeFileSync(file, JSON.stringify(cfg), { mode: 0o600 });
  return { kubeconfig: file, kubectl: admin.kubectl, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const rbac = profile?.rbac;
  if (!rbac) continue; // no RBAC profile for this chart (see profiles.ts)
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it(`${rbac.serviceAccount} may do exactly what the chart grants`, () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-rbac`);
        install(major, chart.dir, 'rel', ns, rbac.set);
        const who = `system:serviceaccount:${ns}:${rbac.serviceAccount}`;
        for (const c of rbac.allowed) expect(canI(kube, ns, who, c), `${c.verb} ${c.resource}`).toBe('yes');
        for (const c of rbac.denied) expect(canI(kube, ns, who, c), `${c.verb} ${c.resource}${c.namespaced ? '' : ' (cluster-wide)'}`).toBe('no');
      });

      it(`a real token of ${rbac.serviceAccount} is held to the same rules`, () => {
        const admin = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-token`);
        install(major, chart.dir, 'rel', ns, rbac.set);
        const token = kubectlOk(admin, ['create', 'token', rbac.serviceAccount, '-n', ns, '--duration=10m']).trim();
        const sa = tokenKube(admin, token);
        try {
          expect(kubectlOk(sa, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe(`system:serviceaccount:${ns}:${rbac.serviceAccount}`);
          for (const c of [...rbac.allowed, ...rbac.denied]) {
            const expected = rbac.allowed.includes(c) ? 'yes' : 'no';
            const r = kubectl(sa, ['auth', 'can-i', c.verb, c.resource, ...(c.namespaced ? ['-n', ns] : ['-A'])]);
            expect(r.stdout.trim(), `${c.verb} ${c.resource}`).toBe(expected);
          }
          // And for real, not only as a question: reading an allowed Secret works, a denied one is Forbidden.
          const get = rbac.allowed.find((c) => c.verb === 'get' && c.resource.includes('/'));
          if (get) expect(kubectl(sa, ['get', get.resource, '-n', ns, '-o', 'name']).code).toBe(0);
          const denied = rbac.denied.find((c) => c.verb === 'get' && c.resource.includes('/') && c.namespaced);
          if (denied) {
            const r = kubectl(sa, ['get', denied.resource, '-n', ns]);
            expect(r.code).not.toBe(0);
            expect(r.stderr).toMatch(/Forbidden|forbidden/);
          }
        } finally {
          sa.cleanup();
        }
      });
    });
  }
}
