/**
 * OCI registry: a real registry (Debian docker-registry) on 127.0.0.1; `npm run publish:oci` pushes with
 * helm 3 and helm 4, then pull, show and template from oci:// match the source charts; version discipline
 * and upgrade safety read the published versions from the registry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelmMajor } from '../../lib/tooling/helm';
import { checkCommand, ociCommand } from '../../lib/publish/commands';
import { deepEqual } from '../../lib/publish/objects';
import {
  addObjectLabel,
  addSelectorLabel,
  captureOutput,
  copyChart,
  helmHome,
  helmOk,
  Registry,
  setChartVersion,
  sourceCharts,
  stableRender,
  startRegistry,
  tempDir,
  templateRendering,
} from './support';

describe('OCI registry', () => {
  let dir: string;
  let registry: Registry;
  const charts = sourceCharts();

  beforeAll(async () => {
    dir = tempDir('oci');
    fs.mkdirSync(path.join(dir, 'registry'));
    registry = await startRegistry(path.join(dir, 'registry'));
  });

  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe.each([3, 4] as HelmMajor[])('helm %i', (major) => {
    it('publish:oci pushes every chart; pull, show and template from the registry match the source', async () => {
      const env = helmHome(path.join(dir, `helm${major}`));
      const target = `oci://${registry.host}/helm${major}/charts`;
      const out = captureOutput();
      await ociCommand([target, '--plain-http', '--helm', String(major)], { helmEnv: env, out });
      for (const c of charts) {
        expect(out.text()).toContain(`pushed ${target}/${c.name}:${c.version}`);
        expect(await registry.tags(`helm${major}/charts/${c.name}`)).toEqual([c.version]);

        const pulled = path.join(dir, `pulled${major}`);
        fs.mkdirSync(pulled, { recursive: true });
        helmOk(major, ['pull', `${target}/${c.name}`, '--version', c.version, '--plain-http', '--destination', pulled], env);
        expect(fs.existsSync(path.join(pulled, `${c.name}-${c.version}.tgz`))).toBe(true);

        const shown = YAML.parse(helmOk(major, ['show', 'chart', `${target}/${c.name}`, '--plain-http'], env)) as { name: string; version: string };
        expect(shown).toMatchObject({ name: c.name, version: c.version });

        const fromRegistry = stableRender(major, [`${target}/${c.name}`, '--version', c.version, '--plain-http'], env);
        const fromSource = stableRender(major, [c.dir], env);
        expect(fromRegistry.length).toBeGreaterThan(0);
        expect(deepEqual(fromRegistry, fromSource)).toBe(true);
      }

      // Publishing the same content again pushes nothing.
      const again = captureOutput();
      await ociCommand([target, '--plain-http', '--helm', String(major)], { helmEnv: env, out: again });
      expect(again.text()).toMatch(/nothing new to push/);
    });

    it('an HTTP registry without --plain-http fails with the fix in the message', async () => {
      const env = helmHome(path.join(dir, `helm${major}-https`));
      await expect(ociCommand([`oci://${registry.host}/https${major}`, '--helm', String(major)], { helmEnv: env, out: captureOutput() })).rejects.toThrow(
        /add --plain-http/,
      );
    });
  });

  it('version discipline and upgrade safety read the published versions from the registry', async () => {
    const env = helmHome(path.join(dir, 'helm-discipline'));
    const target = `oci://${registry.host}/discipline`;
    const repoPath = 'discipline/md-icapsrv';
    const base = copyChart('md-icapsrv', dir);
    const baseVersion = (YAML.parse(fs.readFileSync(path.join(base.chartDir, 'Chart.yaml'), 'utf8')) as { version: string }).version;
    await ociCommand([target, '--plain-http', '--charts', base.chartsDir], { helmEnv: env, out: captureOutput() });
    expect(await registry.tags(repoPath)).toEqual([baseVersion]);

    // Changed rendered output, same version: refused, nothing pushed.
    const changed = copyChart('md-icapsrv', dir);
    addObjectLabel(templateRendering(changed.chartDir, 'Deployment', env), 'example.com/team: icap');
    const refused = captureOutput();
    await expect(ociCommand([target, '--plain-http', '--charts', changed.chartsDir], { helmEnv: env, out: refused })).rejects.toThrow(
      /nothing was pushed/,
    );
    expect(refused.text()).toMatch(new RegExp(`md-icapsrv: content changed but version .* is already published at ${target}`));
    expect(refused.text()).toMatch(/rendered objects changed: Deployment default\/\S+ \(metadata\.labels\["example\.com\/team"\]/);

    // A bump whose Deployment selector changed: refused by the upgrade check, nothing pushed.
    const selector = copyChart('md-icapsrv', dir);
    setChartVersion(selector.chartDir, '99.0.0');
    addSelectorLabel(templateRendering(selector.chartDir, 'Deployment', env), 'example.com/tier: front');
    const blocked = captureOutput();
    await expect(checkCommand(['--charts', selector.chartsDir, '--against', target, '--plain-http'], { helmEnv: env, out: blocked })).rejects.toThrow(
      /problem/,
    );
    expect(blocked.text()).toMatch(/Deployment default\/\S+: spec\.selector: Deployment spec\.selector is immutable/);
    expect(await registry.tags(repoPath)).toEqual([baseVersion]);

    // The bump alone is pushed, checked against the latest version in the registry.
    const bumped = copyChart('md-icapsrv', dir);
    setChartVersion(bumped.chartDir, '99.0.0');
    addObjectLabel(templateRendering(bumped.chartDir, 'Deployment', env), 'example.com/team: icap');
    const ok = captureOutput();
    await ociCommand([target, '--plain-http', '--charts', bumped.chartsDir], { helmEnv: env, out: ok });
    expect(ok.text()).toMatch(new RegExp(`md-icapsrv 99\\.0\\.0: new version \\(upgrade from ${baseVersion.replace(/\./g, '\\.')} checked\\)`));
    expect(await registry.tags(repoPath)).toEqual([baseVersion, '99.0.0'].sort());

    // Re-publishing the old version with changed content is still caught (exact version lookup, not only latest).
    const old = copyChart('md-icapsrv', dir);
    fs.appendFileSync(path.join(old.chartDir, 'README.md'), '\nchanged\n');
    const stale = captureOutput();
    await expect(ociCommand([target, '--plain-http', '--charts', old.chartsDir], { helmEnv: env, out: stale })).rejects.toThrow(/problem/);
    expect(stale.text()).toMatch(/content changed but version .* is already published .*latest published: 99\.0\.0/);
  });
});
