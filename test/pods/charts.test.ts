/**
 * Every chart installs on a real node with `helm install --wait`: the credential generator Job fills the
 * Secrets, each pod starts from the suite's images and becomes Ready through its own probes (the
 * MetaDefender stand-ins only once they log in to their Postgres with the generated credentials), nothing
 * restarts, and `helm test` runs its check for real. multisite-init runs with its demo consumer and the
 * writer as the consumer's init container (the Job mode: multisite.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { profiles } from '../cluster/profiles';
import {
  chartDirs,
  cluster,
  deleteNamespaces,
  diagnostics,
  exec,
  helmPods,
  isReady,
  logs,
  newNamespace,
  podsIn,
  podValues,
  secretData,
  waitRolledOut,
} from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';

/** Parts switched on so the chart has pods that run (and `--wait` can wait for them). */
const EXTRA_VALUES: Record<string, string[]> = { 'multisite-init': ['consumer.enabled=true', 'consumer.runWriter=true'] };

/** The in-cluster database of each chart that has one: its pod's component label and credentials Secret. */
const DATABASES: Record<string, { secret: string; product?: { container: string } }> = {
  'md-core': { secret: 'mdcore-postgres-cred', product: { container: 'md-core' } },
  'md-icapsrv': { secret: 'mdicapsrv-postgres-cred', product: { container: 'md-icapsrv' } },
  'sv-server': { secret: 'sv-postgres-db-cred' },
};

describe.each(chartDirs())('$name', (chart) => {
  it('installs with --wait; every pod is Ready through its probes and none restarted; helm test passes', () => {
    const kube = cluster();
    const ns = newNamespace(`pods-${chart.name}`);
    profiles[chart.name]?.prepareDefaults?.(kube, ns);
    helmPods(3, ns, ['install', RELEASE, chart.dir, '--wait', '--timeout', '5m', '--set', [...podValues(chart.name), ...(EXTRA_VALUES[chart.name] ?? [])].join(',')]);
    waitRolledOut(ns);

    const running = podsIn(ns).filter((p) => p.status?.phase !== 'Succeeded');
    expect(running.length, diagnostics(ns)).toBeGreaterThan(0);
    for (const p of running) {
      expect(isReady(p), `${p.metadata.name} Ready\n${diagnostics(ns)}`).toBe(true);
      for (const c of p.status?.containerStatuses ?? []) expect(c.restartCount, `${p.metadata.name}/${c.name} restarts\n${diagnostics(ns)}`).toBe(0);
    }

    const db = DATABASES[chart.name];
    if (db) {
      const { user, password } = secretData(ns, db.secret);
      expect(password, `${db.secret} password generated`).toMatch(/^[A-Za-z0-9]{24}$/);
      const postgres = running.find((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'database')!;
      // From the pod's own address (not 127.0.0.1, which initdb trusts), as the products connect.
      const psql = (pw: string) =>
        exec(ns, postgres.metadata.name, 'postgres', ['psql', '-h', postgres.status!.podIP!, '-U', user!, '-d', 'postgres', '-tAc', 'select current_user'], { PGPASSWORD: pw });
      expect(psql(password!).stdout.trim()).toBe(user);
      expect(psql(`${password}x`).stderr).toMatch(/password authentication failed/);
      if (db.product) {
        for (const p of running.filter((x) => x.spec.containers.some((c) => c.name === db.product!.container))) {
          expect(logs(ns, p.metadata.name, db.product.container)).toMatch(new RegExp(`logged in to postgres at \\S+:5432 as ${user}\\b`));
        }
      }
    }

    const out = helmPods(3, ns, ['test', RELEASE, '--timeout', '2m']);
    expect(out).toMatch(/Phase:\s+Succeeded/);
    expect(out).not.toMatch(/Phase:\s+Failed/);
  });
});
