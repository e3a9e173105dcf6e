/**
 * Honest types (issue 10): construct code that branches on a value or computes with one does not compile,
 * because in a Helm chart a value is a template expression, not the value; what TypeScript cannot see (a
 * number or boolean put into a string) stops helm-mode synthesis with the object's path and the fix.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineChart, synthObjects } from '../lib/core/chart';
import { ChartError } from '../lib/core/errors';
import { renderHelmChart } from '../lib/core/helm-chart';
import { KubeObject } from '../lib/core/kube-object';
import { Render } from '../lib/core/template';

const root = path.join(__dirname, '..');

/** A chart whose build does `body` with `values` ({ tls: { enabled }, port, type }) and `render` in scope. */
const source = (body: string) => `import { KubeObject, defineChart, Render } from 'chart-as-code';
import { z } from 'zod';
export const chart = defineChart({
  name: 'honest',
  schema: z.object({ tls: z.object({ enabled: z.boolean().default(false) }).prefault({}), port: z.number().int().default(8080), type: z.enum(['A', 'B']).default('A') }),
  metadata: { version: '1.0.0', appVersion: '1', description: 'x' },
  build: (scope, values) => {
    const render = Render.of(scope);
${body}
    new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { port: render.str(values.port) } });
  },
});
`;

function typecheck(body: string): { code: number | null; out: string; line: (needle: string) => number } {
  const dir = fs.mkdtempSync(path.join(root, 'examples', '.honest-'));
  try {
    const text = source(body);
    fs.writeFileSync(path.join(dir, 'chart.ts'), text);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '../..', paths: { 'chart-as-code': ['../../lib/index.ts'] } }, include: ['chart.ts'] }),
    );
    const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(dir, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    const lines = text.split('\n');
    return { code: r.status, out: r.stdout + r.stderr, line: (needle) => lines.findIndex((l) => l.includes(needle)) + 1 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('branching on or computing with a value does not compile', () => {
  it('the same chart code compiles when it goes through Render', () => {
    const r = typecheck(`    render.when(values.tls.enabled, () => undefined);
    const scheme = render.ifElse(values.tls.enabled, 'https', 'http');
    const next = render.add(values.port, 1);
    const isA = render.eq(values.type, 'A');
    void [scheme, next, isA];`);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['if', '    if (values.tls.enabled) console.log("tls");', 'TS2774'],
    ['a ternary', "    const scheme = values.tls.enabled ? 'https' : 'http'; void scheme;", 'TS2774'],
    ['&&', '    if (values.tls.enabled && values.port) console.log("x");', 'TS2774'],
    ['arithmetic', '    const next = values.port + 1; void next;', 'TS2365'],
    ['a comparison', "    const isA = values.type === 'A'; void isA;", 'TS2367'],
  ])('%s on a value is a compile error', (_what, body, code) => {
    const r = typecheck(body);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(new RegExp(`chart\\.ts\\(${r.line(body.trim().slice(0, 20))},\\d+\\): error ${code}`));
  });

  // TypeScript's own message for `if (value)` cannot be changed ("did you mean to call it instead?"); doing
  // what it suggests, or calling the value any other way, is an error that names the Render call to use.
  it('calling a value, as TypeScript suggests for an if, names render.when / render.ifElse', () => {
    const body = '    if (values.tls.enabled()) console.log("tls");';
    const r = typecheck(body);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(new RegExp(`chart\\.ts\\(${r.line(body.trim().slice(0, 20))},\\d+\\): error TS2684`));
    expect(r.out).toContain('"use render.when(value, …) or render.ifElse(…) instead of if/?:/&&, render.add/eq/str instead of +/===/`${}`"');
  });
});

describe('what TypeScript cannot catch stops helm-mode synthesis', () => {
  const chart = (text: (values: { port: unknown; tls: { enabled: unknown } }) => string) =>
    defineChart({
      name: 'strings',
      schema: z.object({ port: z.number().int().min(1).max(65535).default(8080), tls: z.object({ enabled: z.boolean().default(true) }).prefault({}) }).strict(),
      metadata: { version: '1.0.0', appVersion: '1', description: 'x' },
      build: (scope, values) => {
        new KubeObject(scope, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { url: text(values) } });
      },
    });

  it.each([
    ['a number in a template string', (v: { port: unknown }) => `http://host:${String(v.port)}`, /strings\/config: the number \$\.Values\.port is put into a string.*use render\.str\(\)/],
    ['a boolean concatenated', (v: { tls: { enabled: unknown } }) => 'tls=' + String(v.tls.enabled), /strings\/config: the boolean \$\.Values\.tls\.enabled is put into a string/],
  ])('%s: a ChartError naming the object and the fix', (_what, text, message) => {
    const c = chart(text as never);
    // Raw synthesis cannot tell (the value is concrete there) ...
    expect(() => synthObjects({ chart: c })).not.toThrow();
    // ... the Helm chart would print it differently, so rendering it stops.
    expect(() => renderHelmChart(c)).toThrow(ChartError);
    expect(() => renderHelmChart(c)).toThrow(message);
  });

  it('a string value in a template string is fine: it prints the same in both', () => {
    const c = defineChart({
      name: 'fine',
      schema: z.object({ host: z.string().default('example.com') }).strict(),
      metadata: { version: '1.0.0', appVersion: '1', description: 'x' },
      build: (scope, values) => {
        const render = Render.of(scope);
        new KubeObject(scope, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { url: `https://${values.host}/`, port: render.str(8443) } });
      },
    });
    expect(renderHelmChart(c).get('templates/configmap.yaml')).toContain('printf "https://%v/" $.Values.host');
  });
});
