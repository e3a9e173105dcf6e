/**
 * The README's library example compiles against the built package (typed exports, declarations) and
 * synthesizes, so the documentation cannot rot.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStream } from './support/render';

const root = path.join(__dirname, '..');
const example = path.join(root, 'examples', 'platform-app.ts');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(bin(cmd), args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

describe('library use', () => {
  beforeAll(() => {
    const build = run('tsc', [ '-p', 'tsconfig.build.json']);
    expect(build.stdout + build.stderr).toBe('');
  });

  it('builds typed declarations for the package entry point', () => {
    const dts = fs.readFileSync(path.join(root, 'build', 'lib', 'index.d.ts'), 'utf8');
    expect(dts).toContain("export { MdIcapsrv, mdIcapsrvChart, type MdIcapsrvProps } from './systems/md-icapsrv'");
    expect(fs.existsSync(path.join(root, 'build', 'lib', 'systems', 'md-icapsrv', 'values.d.ts'))).toBe(true);
    // The engine is a subpath of its own (chart-as-code/internal), documented interfaces next to the schemas.
    expect(fs.readFileSync(path.join(root, 'build', 'lib', 'internal.d.ts'), 'utf8')).toContain("export { HelmEmitter } from './core/emit'");
    expect(fs.readFileSync(path.join(root, 'build', 'lib', 'systems', 'md-icapsrv', 'values.generated.d.ts'), 'utf8')).toContain('@default 1');
  });

  it('shows the example in the README verbatim', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(fs.readFileSync(example, 'utf8').trim());
  });

  it('type-checks the example against the package name', () => {
    const r = run('tsc', [ '-p', 'examples/tsconfig.json']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects a wrong value at compile time', () => {
    const dir = fs.mkdtempSync(path.join(root, 'examples', '.bad-'));
    try {
      const source = fs.readFileSync(example, 'utf8').replace('replicaCount: 2', "replicaCount: 'two'");
      const line = source.split('\n').findIndex((l) => l.includes('replicaCount')) + 1;
      fs.writeFileSync(path.join(dir, 'bad.ts'), source);
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: ['*.ts'] }));
      const r = run('tsc', [ '-p', path.relative(root, path.join(dir, 'tsconfig.json'))]);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain(`bad.ts(${line},`);
      expect(r.stdout).toContain("not assignable to type 'number'");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('synthesizes the example into manifests', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'example-out-'));
    const r = run('tsx', [ example], { CDK8S_OUTDIR: out });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ICAP clients connect to md-icapsrv:1344');
    const objects = parseStream(fs.readFileSync(path.join(out, 'scanning.k8s.yaml'), 'utf8'));
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(byKind('Deployment').sort()).toEqual(['md-icapsrv', 'postgres-mdicapsrv']);
    expect(byKind('Ingress')).toEqual(['icap-ingress']);
    expect(byKind('PodDisruptionBudget')).toEqual(['md-icapsrv']);
    expect(objects.every((o) => o.metadata.namespace === 'scanning')).toBe(true);
  });
});
