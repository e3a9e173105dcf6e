/**
 * One values file, one meaning: the app (`npm run synth`) reads STACK_VALUES exactly as `helm -f` reads a
 * values file (YAML 1.1 scalars through sigs.k8s.io/yaml), so `env: on` is the boolean true for both, and
 * both refuse it where the schema wants a string. (Random values files: test/equivalence.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { systems } from '../lib/systems';
import { cliTemplate } from '../lib/proof';
import { readValuesYaml } from '../lib/tooling/yaml2json';
import { HELM_MAJORS, helmBinary, helmName, newestHelm } from '../lib/tooling/helm';
import { chartDir, K8sObject, parseStream } from './support/render';

const root = path.join(__dirname, '..');
const icap = systems.find((s) => s.name === 'md-icapsrv')!;

/** `npm run synth` (chart-as-code synth of apps/stack.ts) with STACK_VALUES holding `{ md-icapsrv: <chartValues> }`, as text. */
function synth(chartValues: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-values-'));
  const file = path.join(dir, 'values.yaml');
  fs.writeFileSync(file, `md-icapsrv:\n${chartValues.replace(/^/gm, '  ')}`);
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'lib', 'cli', 'index.ts'), 'synth', '--charts', path.join(root, 'apps', 'stack.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, STACK_VALUES: file, CHART_AS_CODE_DIST: path.join(dir, 'dist') },
  });
  const manifest = path.join(dir, 'dist', 'md-icapsrv.k8s.yaml');
  return { ...r, manifest: fs.existsSync(manifest) ? fs.readFileSync(manifest, 'utf8') : undefined };
}

const deployment = (docs: K8sObject[]) => docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'md-icapsrv') as K8sObject & { spec: { replicas: number } };

describe('a values file means the same to the app and to helm', () => {
  it('reads YAML 1.1 scalars as Helm does, where the JavaScript YAML parser reads strings', () => {
    const text = 'a: on\nb: yes\nc: 0x1F\nd: 1_000\ne: "on"\non: x\n';
    expect(readValuesYaml(text, 'values.yaml')).toEqual({ a: true, b: true, c: 31, d: 1000, e: 'on', true: 'x' });
    expect(YAML.parse(text)).toEqual({ a: 'on', b: 'yes', c: 31, d: '1_000', e: 'on', on: 'x' });
  });

  it('refuses what has no single meaning for Helm: several documents (helm 3 reads the first, helm 4 merges them), keys read as one key', () => {
    expect(() => readValuesYaml('a: 1\n---\nb: 2\n', 'two.yaml')).toThrow(/two\.yaml: 2 YAML documents/);
    expect(() => readValuesYaml('labels:\n  on: a\n  "true": b\n', 'keys.yaml')).toThrow(/keys\.yaml: labels: keys true \(bool\) and "true" are both the key "true"/);
    expect(() => readValuesYaml('- a\n', 'list.yaml')).toThrow(/list\.yaml: a values file is a map of keys to values, not a list/);
  });

  it('`commonLabels: {env: on}` fails in the app and in helm, both naming commonLabels.env', async () => {
    const values = 'commonLabels: {env: on}\n';
    const app = synth(values);
    expect(app.status).toBe(1);
    expect(app.stderr).toMatch(/commonLabels\.env/);
    expect(app.stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const release of HELM_MAJORS.map(newestHelm)) {
      const { rendered } = await cliTemplate(helmBinary(release), chartDir(icap), values);
      expect('error' in rendered && rendered.error, helmName(release)).toMatch(/commonLabels.env|\/commonLabels\/env/);
    }
  });

  it('`commonLabels: {env: "on"}` and `replicaCount: 0x2` give the label "on" and 2 replicas in both', async () => {
    const values = 'commonLabels: {env: "on"}\nreplicaCount: 0x2\n';
    const app = synth(values);
    expect(app.stderr).toBe('');
    expect(app.status).toBe(0);
    const raw = parseStream(app.manifest ?? '');
    const helm = await Promise.all(HELM_MAJORS.map((m) => cliTemplate(helmBinary(newestHelm(m)), chartDir(icap), values)));
    for (const docs of [raw, ...helm.map(({ rendered }) => ('docs' in rendered ? rendered.docs : []))]) {
      expect(deployment(docs).spec.replicas).toBe(2);
      expect(deployment(docs).metadata.labels?.env).toBe('on');
    }
  });
});
