/**
 * Nothing leaked, nothing lost, for the charts' secrets:
 * - extraEnv may not name an env the chart sets from a Secret, nor give a name twice: zod refuses it, and so
 *   does Helm (values.schema.json for the names, the template for repeats) on both helm majors, each
 *   naming the path; random env names get the same verdict from zod and from Helm;
 * - the reserved names are exactly those the chart's templates set from a Secret beside extraEnv;
 * - the hot-backup Jobs hold no secret in their command, arguments or env;
 * - no secret value is in values.yaml's defaults, and a given one is only in its Secret.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChartDefinition } from '../../lib/core/chart';
import { parseValues, ValuesError } from '../../lib/core/schema';
import { HelmRender, Render } from '../../lib/core/template';
import { fc } from '../../lib/proof';
import { mdCoreChart } from '../../lib/systems/md-core';
import { MDCORE_SECRET_ENV } from '../../lib/systems/md-core/values';
import { mdIcapsrvChart } from '../../lib/systems/md-icapsrv';
import { MDICAPSRV_SECRET_ENV } from '../../lib/systems/md-icapsrv/values';
import { svServerChart } from '../../lib/systems/sv-server';
import { SV_SECRET_ENV } from '../../lib/systems/sv-server/values';
import { HELM_MAJORS, newestHelm, runHelm } from '../../lib/tooling/helm';
import { HelmRenderer } from '../support/helm-render';
import { chartDir, helmTemplate, Obj, renderSystem } from '../support/render';

/** The systems with extraEnv, and the env their containers take from Secrets. */
const WITH_EXTRA_ENV: [string, ChartDefinition, Record<string, string>][] = [
  ['md-icapsrv', mdIcapsrvChart, MDICAPSRV_SECRET_ENV],
  ['md-core', mdCoreChart, MDCORE_SECRET_ENV],
  ['sv-server', svServerChart, SV_SECRET_ENV],
];

/** zod's verdict: undefined when accepted, else the paths it names. */
function zodPaths(system: ChartDefinition, values: unknown): string[] | undefined {
  try {
    parseValues(system.name, system.schema, values);
    return undefined;
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    return e.issues.map((i) => i.path);
  }
}

/**
 * Names of the env the chart's templates set from a Secret in each env list that extraEnv is spliced into,
 * every conditional branch included: the chart built in helm mode, its objects and named templates walked.
 */
function secretEnvBesideExtraEnv(system: ChartDefinition): Set<string> {
  const chart = new Chart(new App({ outdir: '/nonexistent' }), system.name, { disableResourceNameHashes: true });
  const render = new HelmRender({ name: system.name, version: system.metadata.version }, chart);
  Render.attach(chart, render);
  system.build(chart, render.rootValues(system.schema));
  const found = new Set<string>();
  const markerOf = (item: unknown) => {
    const keys = item && typeof item === 'object' && !Array.isArray(item) ? Object.keys(item) : [];
    return keys.length === 1 ? render.markerOf(keys[0]!) : undefined;
  };
  // The items of a list, those under an `if` included.
  const items = (list: unknown[]): unknown[] => list.flatMap((item) => (markerOf(item)?.type === 'if' ? items(Object.values(item as object)[0] as unknown[]) : [item]));
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      const spliced = items(v).some((item) => {
        const m = markerOf(item);
        return m?.type === 'splice' && m.expr.includes('.Values.extraEnv');
      });
      if (spliced) {
        for (const item of items(v) as { name?: unknown; valueFrom?: unknown }[]) {
          if (typeof item?.name === 'string' && JSON.stringify(item.valueFrom ?? null).includes('secretKeyRef')) found.add(item.name);
        }
      }
      v.forEach(walk);
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(chart.node.findAll().filter(ApiObject.isApiObject).map((o) => o.toJson()));
  walk([...render.namedTemplates.values()].map((t) => t.body));
  return found;
}

const writeValues = (values: unknown): string => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-values-')), 'values.json');
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
};

describe.each(WITH_EXTRA_ENV)('%s: extraEnv', (_name, system, secretEnv) => {
  const reserved = [...new Set(Object.values(secretEnv))].sort();

  it('reserves exactly the env its templates set from a Secret beside extraEnv (every branch)', () => {
    expect([...secretEnvBesideExtraEnv(system)].sort()).toEqual(reserved);
  });

  it('zod refuses every reserved name and a repeated name, naming the path', () => {
    for (const name of reserved) expect(zodPaths(system, { extraEnv: [{ name: 'OK', value: '1' }, { name, value: 'stolen' }] })).toEqual(['extraEnv.1.name']);
    expect(zodPaths(system, { extraEnv: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] })).toEqual(['extraEnv']);
    expect(zodPaths(system, { extraEnv: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })).toBeUndefined();
  });

  describe.each(HELM_MAJORS.map((m) => [m] as const))('helm %i', (major) => {
    const lint = (values: unknown) => {
      const file = writeValues(values);
      try {
        return runHelm(major, ['lint', chartDir(system), '-f', file]);
      } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }
    };

    it('template and lint refuse a reserved name (values.schema.json), naming the path', () => {
      const values = { extraEnv: [{ name: 'OK', value: '1' }, { name: reserved[0], value: 'stolen' }] };
      const t = helmTemplate(major, chartDir(system), values);
      expect(t.code, t.stdout).not.toBe(0);
      expect(t.stderr).toContain('/extraEnv/1/name');
      const l = lint(values);
      expect(l.code).not.toBe(0);
      expect(l.stdout + l.stderr).toContain('/extraEnv/1/name');
    });

    it('template refuses a repeated name (the template checks it), naming the path; lint only reports it', () => {
      const values = { extraEnv: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] };
      const named = 'extraEnv.2.name: A is given twice (also at extraEnv.0.name)';
      const t = helmTemplate(major, chartDir(system), values);
      expect(t.code, t.stdout).not.toBe(0);
      expect(t.stderr).toContain(named);
      // Helm lints templates in a mode where `fail` is logged, not an error: install and upgrade do fail.
      const l = lint(values);
      expect(l.stdout + l.stderr).toContain(named);
    });
  });

  describe('random env names: zod and the newest helm 3 and 4 agree', () => {
    let renderers: HelmRenderer[] = [];
    beforeAll(() => {
      renderers = HELM_MAJORS.map((m) => new HelmRenderer(newestHelm(m), chartDir(system)));
    });
    afterAll(() => Promise.all(renderers.map((r) => r.close())));

    it('accepted exactly when no name is reserved or repeated', async () => {
      const envName = fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/), fc.constantFrom(...reserved), fc.constantFrom('A', 'B'));
      const verdicts: boolean[] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(envName, { maxLength: 5 }), async (names) => {
          const values = { extraEnv: names.map((name, i) => ({ name, value: String(i) })) };
          const expected = names.every((n, i) => !reserved.includes(n) && names.indexOf(n) === i);
          verdicts.push(expected);
          expect(zodPaths(system, values) === undefined).toBe(expected);
          for (const r of renderers) {
            const rendered = await r.render(JSON.stringify(values));
            expect('error' in rendered ? rendered.error : 'accepted', r.name).toSatisfy((out: string) => (expected ? out === 'accepted' : /extraEnv/.test(out)));
          }
        }),
        { numRuns: 60, seed: 20 },
      );
      // Both verdicts were tried.
      expect(new Set(verdicts).size).toBe(2);
    });
  });
});

/** Credential values given for every Secret a system writes, by values path. */
const GIVEN: Record<string, Record<string, unknown>> = {
  'md-icapsrv': { credentials: { password: 'GivenAdminPassword0001' }, apiKey: { value: 'GivenApiKey0000000000000000000000001' }, license: { key: 'GivenLicenceKey0001' }, database: { password: 'GivenDbPassword0001' } },
  'md-core': { credentials: { password: 'GivenAdminPassword0002' }, apiKey: { value: 'GivenApiKey0000000000000000000000002' }, license: { key: 'GivenLicenceKey0002' }, database: { password: 'GivenDbPassword0002' } },
  'sv-server': { credentials: { password: 'GivenAdminPassword0003' }, database: { password: 'GivenDbPassword0003' } },
};

/** The string leaves of a values object. */
const leaves = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : []);

describe('no secret where it does not belong', () => {
  it('the hot-backup Jobs carry no credential in their command, arguments or env', () => {
    const values = { ...GIVEN['md-core'], strategy: { type: 'BlueGreen' }, hotBackup: { enabled: true } };
    const r = renderSystem(mdCoreChart, values);
    const jobs = ['md-core-config-export', 'md-core-config-import'].map((n) => r.get('Job', n));
    for (const job of jobs) {
      for (const c of job.spec.template.spec.containers as Obj[]) {
        const exposed = JSON.stringify([c.command, c.args, c.env]);
        for (const secret of leaves(GIVEN['md-core'])) expect(exposed).not.toContain(secret);
        expect(exposed).not.toContain('secretKeyRef');
      }
    }
  });

  it.each(Object.keys(GIVEN))('%s: values.yaml defaults hold no secret value', (name) => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', 'charts', name, 'values.yaml'), 'utf8');
    const defaults = YAML.parse(text) as Record<string, Record<string, unknown>>;
    expect(defaults.credentials?.password).toBe('');
    expect(defaults.database?.password).toBe('');
    if ('apiKey' in defaults) expect([defaults.apiKey!.value, defaults.license!.key]).toEqual(['', '']);
  });

  it.each(Object.keys(GIVEN))('%s: a given credential is only in its Secret, in raw and in helm renderings', (name) => {
    const system = WITH_EXTRA_ENV.find(([n]) => n === name)![1];
    const secrets = leaves(GIVEN[name]);
    const encoded = secrets.map((s) => Buffer.from(s).toString('base64'));
    const raw = renderSystem(system, GIVEN[name]).objects;
    const helm = HELM_MAJORS.map((m) => helmTemplate(m, chartDir(system), GIVEN[name]));
    for (const h of helm) expect(h.code, h.stderr).toBe(0);
    const helmObjects = helm.flatMap((h) => YAML.parseAllDocuments(h.stdout).map((d) => d.toJSON() as Obj | null)).filter((o): o is Obj => o !== null);
    for (const objects of [raw, helmObjects]) {
      const inSecrets = JSON.stringify(objects.filter((o) => o.kind === 'Secret'));
      for (const e of encoded) expect(inSecrets).toContain(e);
      const elsewhere = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
      for (const s of [...secrets, ...encoded]) expect(elsewhere).not.toContain(s);
    }
  });
});
