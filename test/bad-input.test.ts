/**
 * Bad input: a message naming the value and the rule, a non-zero exit, no stack trace, and the previous
 * output left exactly as it was.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../lib/core/schema';
import { ChartDefinition } from '../lib/core/chart';
import { writeHelmCharts } from '../lib/core/helm-chart';
import { OUTPUT_MARKER } from '../lib/core/output';
import { mdIcapsrvChart, MdIcapsrv } from '../lib/systems/md-icapsrv';
import { systems } from '../lib/systems';

const root = path.join(__dirname, '..');

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function synth(overrides: string, dist: string) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stack-values-')), 'values.yaml');
  fs.writeFileSync(file, overrides);
  return spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'lib', 'cli', 'index.ts'), 'synth', '--charts', path.join(root, 'apps', 'stack.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, STACK_VALUES: file, CHART_AS_CODE_DIST: dist },
  });
}

describe('bad values for the app (npx cdk8s synth / npm run synth)', () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'dist-'));

  it('writes dist/ on good values', () => {
    const r = synth('md-icapsrv: { replicaCount: 2 }\n', dist);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(dist, 'md-icapsrv.k8s.yaml'), 'utf8')).toContain('replicas: 2');
  });

  it.each([
    ['md-icapsrv: { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }', 'strategy.rollingUpdate.maxUnavailable', 'cannot both be zero'],
    ['md-icapsrv: { replicaCount: -1 }', 'replicaCount', '>=0'],
    ['md-icapsrv: { ingress: { host: "Not A Host" } }', 'ingress.host', 'Invalid'],
    ['md-icapsrv: { servce: { type: NodePort } }', 'servce', 'unknown key'],
    ['md-icapsrv: { database: { inCluster: { enabled: false } } }', 'database.host', 'set database.host'],
    ['md-icapsrvv: {}', 'md-icapsrvv', 'no such system'],
  ])('%s fails naming %s, leaving dist/ as it was', (overrides, pathName, rule) => {
    const before = snapshot(dist);
    const r = synth(overrides, dist);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(pathName);
    expect(r.stderr).toContain(rule);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(snapshot(dist)).toEqual(before);
    expect(fs.readdirSync(path.dirname(dist)).filter((f) => f.startsWith('.synth-'))).toEqual([]);
  });
});

describe('bad props for a construct in a user\'s app', () => {
  it('throws a ValuesError naming every wrong value', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    let error: unknown;
    try {
      new MdIcapsrv(chart, 'icap', { replicaCount: 1.5, image: { tag: 'bad tag' }, service: { nodePorts: { icap: 80 } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValuesError);
    const paths = (error as ValuesError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['replicaCount', 'image.tag', 'service.nodePorts.icap']));
    // Values are checked before any object is made.
    expect(chart.node.findAll().filter(ApiObject.isApiObject)).toEqual([]);
  });
});

describe('npm run charts', () => {
  it('leaves charts/ untouched when any chart fails to render', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-'));
    writeHelmCharts(systems, out);
    // A marker that any rewrite of the good charts would erase.
    fs.appendFileSync(path.join(out, 'md-icapsrv', 'values.yaml'), '# previous output\n');
    const before = snapshot(out);
    const broken: ChartDefinition = {
      ...(mdIcapsrvChart),
      name: 'zz-broken',
      // Rendered after the good charts: their new content must not be written either.
      build: () => {
        throw new ValuesError('zz-broken', [{ path: 'x', message: 'broken on purpose' }]);
      },
    };
    expect(() => writeHelmCharts([...systems, broken], out)).toThrow(/broken on purpose/);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, ...systems.map((s) => s.name)].sort());
  });
});
