/**
 * The raw manifests of `npm run synth` (dist/*.k8s.yaml, written here into a temp dir so the shared
 * dist/ is untouched) against the real apiserver: server-side dry run, then a real server-side apply;
 * every object must then be in the cluster as written and every workload must roll out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profiles } from './profiles';
import { assertLiveMatchesManifest, assertPodReferencesResolve, assertWorkloadsReady, cluster, kubectl, kubectlOk, parseStream, REPO, runCredentialJobs, waitFor } from './support';

let outDir = '';
const createdNamespaces: string[] = [];

function synth(): string[] {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-cluster-'));
  const r = spawnSync('npm', ['run', '--silent', 'synth'], {
    cwd: REPO,
    env: { ...process.env, CHART_AS_CODE_DIST: outDir },
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  if (r.status !== 0) throw new Error(`npm run synth failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return fs.readdirSync(outDir).filter((f) => f.endsWith('.k8s.yaml')).sort();
}

let files: string[] = [];
beforeAll(() => {
  files = synth();
});

afterAll(() => {
  if (createdNamespaces.length > 0) kubectl(cluster(), ['delete', 'namespace', '--wait=false', '--ignore-not-found', ...createdNamespaces]);
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

describe('raw manifests (npm run synth)', () => {
  it('synthesizes at least one manifest file', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('pass a server-side dry run, apply for real, and roll out', async () => {
    const kube = cluster();
    const manifests = files.map((file) => {
      const text = fs.readFileSync(path.join(outDir, file), 'utf8');
      return { file, system: file.replace(/\.k8s\.yaml$/, ''), text, objects: parseStream(text) };
    });
    for (const m of manifests) expect(m.objects.length, m.file).toBeGreaterThan(0);
    for (const m of manifests) expect(m.objects.filter((o) => !o.metadata.namespace).map((o) => `${o.kind}/${o.metadata.name}`), `${m.file}: objects without a namespace`).toEqual([]);

    // The manifests name their namespace ("metadefender") but do not create it: an operator does, and
    // also creates what a system expects to exist there (profiles.ts prepareRaw, e.g. licence Secrets).
    const namespaces = [...new Set(manifests.flatMap((m) => m.objects.map((o) => o.metadata.namespace!)))];
    for (const ns of namespaces) {
      // A namespace left by an earlier run on a reused cluster may still be terminating.
      await waitFor(`namespace ${ns} to be absent`, () => (kubectl(kube, ['get', 'namespace', ns]).code !== 0 ? true : undefined), 120_000);
      kubectlOk(kube, ['create', 'namespace', ns]);
      createdNamespaces.push(ns);
    }
    for (const m of manifests) {
      for (const ns of new Set(m.objects.map((o) => o.metadata.namespace!))) profiles[m.system]?.prepareRaw?.(kube, ns);
    }

    for (const m of manifests) {
      const dry = kubectl(kube, ['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: m.text });
      expect(dry.code, `${m.file} dry run:\n${dry.stderr}`).toBe(0);
      expect(dry.stderr, `${m.file}: warnings on dry run`).toBe('');
      expect(dry.stdout.trim().split('\n')).toHaveLength(m.objects.length);
    }
    // A dry run persists nothing.
    for (const m of manifests) {
      const found = m.objects.filter((o) => kubectl(kube, ['get', '-n', o.metadata.namespace!, '-f', '-'], { input: JSON.stringify(o) }).code === 0);
      expect(found.map((o) => `${o.kind}/${o.metadata.name}`), `${m.file}: created by the dry run`).toEqual([]);
    }

    for (const m of manifests) {
      const applied = kubectl(kube, ['apply', '--server-side', '-f', '-'], { input: m.text });
      expect(applied.code, `${m.file} apply:\n${applied.stderr}`).toBe(0);
      expect(applied.stderr, `${m.file}: warnings on apply`).toBe('');
    }
    for (const m of manifests) {
      for (const ns of new Set(m.objects.map((o) => o.metadata.namespace!))) {
        const inNs = m.objects.filter((o) => o.metadata.namespace === ns);
        assertLiveMatchesManifest(kube, ns, inNs);
        for (const d of inNs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
          kubectlOk(kube, ['rollout', 'status', `${d.kind.toLowerCase()}/${d.metadata.name}`, '-n', ns, '--timeout=120s'], { timeoutMs: 150_000 });
        }
        const workloads = inNs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
        await waitFor(`${m.file}: workloads in ${ns}`, () => (assertWorkloadsReady(kube, ns, inNs).length === workloads.length ? true : undefined), 60_000);
      }
    }
    // Every pod of the stack finds what it references, once the credential generator has run (kwok
    // runs no container: runCredentialJobs runs its script with its token).
    for (const ns of namespaces) {
      runCredentialJobs(kube, ns);
      assertPodReferencesResolve(kube, ns);
    }
  });
});
