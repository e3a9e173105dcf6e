/**
 * Restricted Pod Security on a real node: in a namespace that enforces `restricted`, md-icapsrv (its
 * defaults) and sv-server (runAsRoot=false, its documented non-root mode, with podSecurityLevel=restricted) are admitted, and each running
 * container is what the profile promises, seen from inside by the kernel: not root (the uid its security
 * context names), no_new_privs set, a seccomp filter, no effective capability, and a read-only root
 * filesystem wherever readOnlyRootFilesystem is set.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { profiles } from '../cluster/profiles';
import { chartDirs, cluster, deleteNamespaces, exec, helmPods, isReady, newNamespace, Pod, podsIn, podValues, waitRolledOut, warningLines } from './support';

afterAll(deleteNamespaces);

const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

type SecurityContext = { runAsUser?: number; readOnlyRootFilesystem?: boolean };
type SecurePod = Pod & { spec: { securityContext?: SecurityContext; containers: { name: string; securityContext?: SecurityContext }[] } };

/** Fields of /proc/1/status (the container's main process) as the kernel reports them. */
function status(ns: string, pod: string, container: string): Record<string, string> {
  const r = exec(ns, pod, container, ['cat', '/proc/1/status']);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(r.stdout.split('\n').map((l) => l.split(':\t')).filter((kv) => kv.length === 2).map(([k, v]) => [k!, v!.trim()]));
}

describe.each([
  { chart: 'md-icapsrv', set: [] as string[] },
  { chart: 'sv-server', set: ['runAsRoot=false', 'podSecurityLevel=restricted'] },
])('$chart $set', ({ chart, set }) => {
  it('is admitted under enforce=restricted and every container runs non-root, no_new_privs, seccomp, no capabilities, read-only root where set', () => {
    const dir = chartDirs().find((c) => c.name === chart)!.dir;
    const ns = newNamespace(`pods-restricted-${chart}`, RESTRICTED);
    profiles[chart]?.prepareDefaults?.(cluster(), ns);
    const out = helmPods(3, ns, ['install', 'rel', dir, '--wait', '--timeout', '5m', '--set', [...podValues(chart), ...set].join(',')]);
    expect(warningLines(out)).toEqual([]);
    waitRolledOut(ns);
    const running = (podsIn(ns) as SecurePod[]).filter((p) => p.status?.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    for (const p of running) {
      expect(isReady(p), p.metadata.name).toBe(true);
      for (const c of p.spec.containers) {
        const where = `${p.metadata.name}/${c.name}`;
        const uid = c.securityContext?.runAsUser ?? p.spec.securityContext?.runAsUser;
        const s = status(ns, p.metadata.name, c.name);
        expect(uid, `${where} names its uid`).toBeGreaterThan(0);
        expect(s.Uid?.split(/\s+/), `${where} real, effective, saved, fs uid`).toEqual(Array(4).fill(String(uid)));
        expect(s.NoNewPrivs, `${where} no_new_privs`).toBe('1');
        expect(s.Seccomp, `${where} seccomp mode (2 = filter)`).toBe('2');
        expect(s.CapEff, `${where} effective capabilities`).toBe('0000000000000000');
        expect(s.CapPrm, `${where} permitted capabilities`).toBe('0000000000000000');
        // EROFS when the root is mounted read-only; otherwise at most EACCES (/ belongs to root).
        const touch = exec(ns, p.metadata.name, c.name, ['touch', '/.root-write-probe']);
        if (c.securityContext?.readOnlyRootFilesystem) expect(touch.stderr, `${where} read-only root`).toMatch(/Read-only file system/);
        else expect(touch.stderr, `${where} writable root`).not.toMatch(/Read-only file system/);
      }
    }
  });
});
