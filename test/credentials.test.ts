/**
 * Credentials that never change by accident (issue 11):
 * - output is deterministic: two syntheses of the app, and two `helm template` runs per chart and helm
 *   version, are byte-identical;
 * - no generated credential appears in any rendering: a Secret holds only what the user gave, and lists
 *   the keys the generator fills in; no template calls a random function;
 * - the generator script (run for real under sh with the real kubectl, against a stand-in API on
 *   127.0.0.1) fills only missing keys, is idempotent, restores a value carried over from an older chart,
 *   re-reads instead of overwriting on a conflict, and refuses to touch a Secret it did not create.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GENERATE_ANNOTATION } from '../lib/constructs/secret';
import { systems } from '../lib/systems';
import { HELM_MAJORS } from '../lib/tooling/helm';
import { handCases } from './cases';
import { runCredentialGenerator } from './support/credential-generator';
import { chartDir, helmTemplate, Obj, renderSystem } from './support/render';
import { SecretsApi, standInKubeconfig, startSecretsApi } from './support/secrets-api';

const REPO = path.resolve(__dirname, '..');
const KUBECTL = path.join(REPO, '.tools', 'kubectl-v1.33', 'kubectl');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** Every generated credential of the stack: Secret (product name) → generated keys. */
const GENERATED: Record<string, Record<string, string>> = {
  'md-icapsrv': { 'mdicapsrv-cred': 'password:alphanumeric:24', 'mdicapsrv-api-key': 'value:numeric:36', 'mdicapsrv-postgres-cred': 'password:alphanumeric:24' },
  'md-core': { 'mdcore-cred': 'password:alphanumeric:24', 'mdcore-api-key': 'value:numeric:36', 'mdcore-postgres-cred': 'password:alphanumeric:24' },
  'sv-server': { 'sv-server-cred': 'password:alphanumeric:24', 'sv-postgres-db-cred': 'password:alphanumeric:24' },
  'multisite-init': {},
};

describe('deterministic output', () => {
  it('two syntheses of the app write byte-identical files', () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'dist-')));
    for (const dir of dirs) {
      const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'lib/cli/index.ts', 'synth', '--charts', 'apps/stack.ts'], { cwd: REPO, env: { ...process.env, CHART_AS_CODE_DIST: dir }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const [a, b] = dirs.map((d) => fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), 'utf8')] as const));
    expect(a!.length).toBeGreaterThanOrEqual(4);
    expect(b).toEqual(a);
  });

  describe.each(systems.map((s) => [s.name, s] as const))('%s', (name, system) => {
    it.each(HELM_MAJORS.map((m) => [m] as const))('helm %i template twice gives the same bytes, defaults and every hand case', (major) => {
      for (const values of [{}, ...(handCases[name] ?? []).map((c) => c.values)]) {
        const [first, second] = [0, 1].map(() => helmTemplate(major, chartDir(system), values));
        expect(first!.code, first!.stderr).toBe(0);
        expect(second!.stdout).toBe(first!.stdout);
      }
    });
  });
});

describe('no generated credential in any rendering', () => {
  it('no template calls a random or lookup-generating function', () => {
    for (const system of systems) {
      const templates = path.join(chartDir(system), 'templates');
      for (const file of fs.readdirSync(templates, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(templates, f)).isFile())) {
        const text = fs.readFileSync(path.join(templates, file), 'utf8');
        expect(text, `${system.name}/${file}`).not.toMatch(/\b(randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|uuidv4|genPrivateKey|genCA|htpasswd)\b/);
      }
    }
  });

  describe.each(systems.map((s) => [s.name, s] as const))('%s', (name, system) => {
    const secretsOf = (values: unknown) => renderSystem(system, values).all('Secret');

    it('Secrets with generated keys hold none of them, and say which the generator fills in', () => {
      const generated = GENERATED[name]!;
      const secrets = secretsOf({});
      for (const [secretName, spec] of Object.entries(generated)) {
        const s = secrets.find((x) => x.metadata.name === secretName);
        expect(s, secretName).toBeDefined();
        expect(s!.metadata.annotations[GENERATE_ANNOTATION]).toBe(spec);
        expect(s!.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
        for (const item of spec.split(',')) expect(Object.keys(s!.data ?? {})).not.toContain(item.split(':')[0]);
      }
      // Every Secret that lists generated keys is one we expect: nothing generated slips in unnoticed.
      const annotated = secrets.filter((s) => s.metadata.annotations?.[GENERATE_ANNOTATION]).map((s) => s.metadata.name);
      expect(annotated.sort()).toEqual(Object.keys(generated).sort());
    });

    it('every hand case renders only the values the user gave', () => {
      for (const c of handCases[name] ?? []) {
        for (const s of secretsOf(c.values)) {
          const spec = (s.metadata.annotations?.[GENERATE_ANNOTATION] as string | undefined) ?? '';
          for (const item of spec ? spec.split(',') : []) {
            const key = item.split(':')[0]!;
            if (s.data?.[key] === undefined) continue;
            // Present only because the case gives it: find the given value among the case's values.
            expect(JSON.stringify(c.values), `${c.name}: ${s.metadata.name}.${key}`).toContain(JSON.stringify(unb64(s.data[key])));
          }
        }
      }
    });
  });
});

describe('the generator Job and its RBAC', () => {
  const icap = systems.find((s) => s.name === 'md-icapsrv')!;
  const job = (objects: Obj[], prefix = '') => objects.find((o) => o.kind === 'Job' && new RegExp(`^${prefix}mdicapsrv-credentials-[0-9a-f]{8}$`).test(o.metadata.name));

  it('names exactly the Secrets it fills, may only get and patch them, and runs restricted', () => {
    const r = renderSystem(icap, { namePrefix: 'a-' });
    const role = r.get('Role', 'a-mdicapsrv-credentials');
    const names = ['a-mdicapsrv-cred', 'a-mdicapsrv-api-key', 'a-mdicapsrv-postgres-cred'];
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: ['get', 'patch'] }]);
    const binding = r.get('RoleBinding', 'a-mdicapsrv-credentials');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'a-mdicapsrv-credentials', namespace: 'team-ns' }]);
    const j = job(r.objects, 'a-')!;
    expect(j).toBeDefined();
    const pod = j.spec.template.spec;
    expect(pod.serviceAccountName).toBe('a-mdicapsrv-credentials');
    expect(pod.containers[0].args).toEqual(names);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(j.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '-1' });
  });

  it('leaves out a Secret given in full or taken from existingSecret, and is absent when none is left', () => {
    const r = renderSystem(icap, { credentials: { password: 'given-password' }, apiKey: { existingSecret: 'mine' } });
    expect(r.get('Role', 'mdicapsrv-credentials').rules[0].resourceNames).toEqual(['mdicapsrv-postgres-cred']);
    const none = renderSystem(icap, { credentials: { password: 'p' }, apiKey: { existingSecret: 'mine' }, database: { existingSecret: 'db' } });
    expect(none.objects.filter((o) => o.metadata.name.startsWith('mdicapsrv-credentials'))).toEqual([]);
  });

  it('gets a new name whenever its pod changes (a Job\'s pod template is immutable), and keeps it otherwise', () => {
    const name = (values: unknown) => job(renderSystem(icap, values).objects)!.metadata.name as string;
    const base = name({});
    expect(name({ replicaCount: 3, image: { tag: '9.9.9' } })).toBe(base);
    expect(name({ credentialGenerator: { image: { tag: '1.34.0' } } })).not.toBe(base);
    expect(name({ credentials: { password: 'given' } })).not.toBe(base);
    expect(name({ tolerations: [{ key: 'k', operator: 'Exists' }] })).not.toBe(base);
  });
});

describe('the generator script (real sh and kubectl, stand-in API)', () => {
  let api: SecretsApi;
  const run = (names: string[], env?: Record<string, string>) => runCredentialGenerator({ kubectl: KUBECTL, kubeconfig: standInKubeconfig(api), names, env });
  const annotations = { [GENERATE_ANNOTATION]: 'password:alphanumeric:24' };

  beforeAll(async () => {
    expect(fs.existsSync(KUBECTL), `${KUBECTL}: run npm run helm:setup`).toBe(true);
  });
  afterEach(async () => {
    await api?.close();
  });
  const fresh = async () => {
    api = await startSecretsApi();
  };

  it('fills in only the missing keys, with values of the declared charset and length', async () => {
    await fresh();
    api.put('cred', { annotations: { [GENERATE_ANNOTATION]: 'password:alphanumeric:24,pin:numeric:36' }, data: { user: b64('admin') } });
    const r = await run(['cred']);
    expect(r.code, r.stderr).toBe(0);
    const data = api.get('cred')!.data!;
    expect(unb64(data.user!)).toBe('admin');
    expect(unb64(data.password!)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(unb64(data.pin!)).toMatch(/^[0-9]{36}$/);
    // Never printed.
    expect(r.stdout + r.stderr).not.toContain(unb64(data.password!));
    expect(r.stdout).toContain('cred: generated password; generated pin;');
  });

  it('never changes a key that exists, and a second run changes nothing (no PATCH at all)', async () => {
    await fresh();
    api.put('given', { annotations, data: { password: b64('the-users-own-password-24') } });
    api.put('empty', { annotations });
    expect((await run(['given', 'empty'])).code).toBe(0);
    const first = api.get('empty')!.data!.password;
    const patchesBefore = api.requests.filter((q) => q.method === 'PATCH').length;
    expect(patchesBefore).toBe(1);
    const again = await run(['given', 'empty']);
    expect(again.code, again.stderr).toBe(0);
    expect(api.get('empty')!.data!.password).toBe(first);
    expect(unb64(api.get('given')!.data!.password!)).toBe('the-users-own-password-24');
    expect(api.requests.filter((q) => q.method === 'PATCH').length).toBe(patchesBefore);
    expect(again.stdout).toContain('empty: kept password;');
  });

  it('puts back a value an upgrade carried over from an older chart version, and removes the carrier', async () => {
    await fresh();
    api.put('migrated', { annotations, data: { 'previous.password': b64('from-0.1.0') } });
    api.put('both', { annotations, data: { password: b64('the-live-password-of-24ch'), 'previous.password': b64('older') } });
    const r = await run(['migrated', 'both']);
    expect(r.code, r.stderr).toBe(0);
    expect(api.get('migrated')!.data).toEqual({ password: b64('from-0.1.0') });
    expect(api.get('both')!.data).toEqual({ password: b64('the-live-password-of-24ch') });
    expect(r.stdout).toContain('migrated: restored password from the previous chart version;');
  });

  it('re-reads instead of overwriting when another writer got there first', async () => {
    await fresh();
    api.put('raced', { annotations });
    api.beforeNextPatch('raced', () => api.put('raced', { annotations, data: { password: b64('written-concurrently-by-another') } }));
    const r = await run(['raced']);
    expect(r.code, r.stderr).toBe(0);
    expect(unb64(api.get('raced')!.data!.password!)).toBe('written-concurrently-by-another');
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.status)).toEqual([409]);
  });

  it('refuses to touch a Secret without the annotation (a user\'s), still fills the others, and exits non-zero', async () => {
    await fresh();
    api.put('users-own', { data: { token: b64('x') } });
    api.put('ours', { annotations });
    const r = await run(['users-own', 'ours']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('users-own: left alone: it has no chart-as-code/generate annotation');
    expect(api.get('users-own')!.data).toEqual({ token: b64('x') });
    expect(api.requests.some((q) => q.method === 'PATCH' && q.path.endsWith('/users-own'))).toBe(false);
    expect(api.get('ours')!.data!.password).toBeDefined();
  });

  it('waits for a Secret that does not exist yet, and gives up after WAIT_SECONDS', async () => {
    await fresh();
    setTimeout(() => api.put('late', { annotations }), 2500);
    const r = await run(['late']);
    expect(r.code, r.stderr).toBe(0);
    expect(api.get('late')!.data!.password).toBeDefined();
    const never = await run(['never'], { WAIT_SECONDS: '2' });
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('never: Error from server (NotFound)');
  });

  it('stops at a Secret its RBAC does not name, with the API\'s error', async () => {
    await fresh();
    api.put('other', { annotations });
    api.allowed = ['ours'];
    const r = await run(['other']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Forbidden');
    expect(api.get('other')!.data).toBeUndefined();
  });
});
