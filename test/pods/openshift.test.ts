/**
 * The charts' pods as OpenShift runs them: under an arbitrary uid from the namespace's range and group 0.
 * Each chart is installed with its security contexts adapted (adaptSecurityContext=force: this node's
 * cluster serves no security.openshift.io/v1) through a helm 3 post-renderer standing in for restricted-v2's
 * admission (openshift-admission.js: the uid and fsGroup it would assign, no runAsGroup). Every pod becomes
 * Ready through its own probes without a restart, the credential generator Job fills its Secrets, and every
 * running container's main process really has that uid and group 0 (read from /proc), with the fsGroup
 * among its groups. Postgres initialises its data directory under that uid (nss_wrapper, as the official
 * image does). Hook pods (helm test, multisite's writer Job) are not post-rendered by helm 3.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profiles } from '../cluster/profiles';
import { chartDirs, cluster, deleteNamespaces, diagnostics, exec, helmPods, isReady, newNamespace, podsIn, podValues, secretData, waitRolledOut } from './support';

afterAll(deleteNamespaces);

/** An id from a range as OpenShift gives a project (1000680000/10000), far from every image's own user. */
const UID = 1000680000;
const ADMISSION = path.join(__dirname, 'openshift-admission.js');

/** Values giving each chart pods that run; the SV server with its non-root image (root needs the anyuid SCC). */
const EXTRA_VALUES: Record<string, string[]> = {
  'multisite-init': ['consumer.enabled=true', 'consumer.runWriter=true'],
  'sv-server': ['runAsRoot=false'],
};

/** A Secret the chart's credential generator Job fills in, by chart. */
const GENERATED: Record<string, { secret: string; key: string }> = {
  'md-core': { secret: 'mdcore-postgres-cred', key: 'password' },
  'md-icapsrv': { secret: 'mdicapsrv-postgres-cred', key: 'password' },
  'sv-server': { secret: 'sv-postgres-db-cred', key: 'password' },
};

/** Fields of /proc/1/status (the container's main process). */
function status(ns: string, pod: string, container: string): Record<string, string> {
  const r = exec(ns, pod, container, ['cat', '/proc/1/status']);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(r.stdout.split('\n').map((l) => l.split(':\t')).filter((kv) => kv.length === 2).map(([k, v]) => [k!, v!.trim()]));
}

describe.each(chartDirs())('$name', (chart) => {
  it(`runs under uid ${UID} and group 0, every pod Ready, none restarted`, () => {
    const ns = newNamespace(`pods-openshift-${chart.name}`);
    profiles[chart.name]?.prepareDefaults?.(cluster(), ns);
    const set = [...podValues(chart.name), ...(EXTRA_VALUES[chart.name] ?? []), 'global.compatibility.openshift.adaptSecurityContext=force'];
    helmPods(3, ns, ['install', 'rel', chart.dir, '--wait', '--timeout', '5m', '--post-renderer', ADMISSION, '--post-renderer-args', String(UID), '--set', set.join(',')]);
    waitRolledOut(ns);

    const generated = GENERATED[chart.name];
    if (generated) expect(secretData(ns, generated.secret)[generated.key], `${generated.secret} filled in by the Job running as ${UID}`).toMatch(/^[A-Za-z0-9]{24}$/);

    const running = podsIn(ns).filter((p) => p.status?.phase !== 'Succeeded');
    expect(running.length, diagnostics(ns)).toBeGreaterThan(0);
    for (const p of running) {
      expect(isReady(p), `${p.metadata.name} Ready\n${diagnostics(ns)}`).toBe(true);
      for (const c of p.status?.containerStatuses ?? []) expect(c.restartCount, `${p.metadata.name}/${c.name} restarts\n${diagnostics(ns)}`).toBe(0);
      for (const c of p.spec.containers) {
        const where = `${p.metadata.name}/${c.name}`;
        const s = status(ns, p.metadata.name, c.name);
        expect(s.Uid?.split(/\s+/), `${where} real, effective, saved, fs uid`).toEqual(Array(4).fill(String(UID)));
        expect(s.Gid?.split(/\s+/), `${where} real, effective, saved, fs gid`).toEqual(Array(4).fill('0'));
        expect(s.Groups?.split(/\s+/), `${where} supplementary groups`).toContain(String(UID));
      }
    }
  });
});
