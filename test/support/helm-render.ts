/**
 * The in-process renderer (tools/helm-render) of the newest release of each helm major: Helm's own engine
 * built from the module versions of that release's CLI, which loads a chart once and renders thousands of
 * values files in one process. It is built in this repository (`npm run helm:setup`), so it stays out of
 * the package; the proof takes it as a Renderer. test/helm-render.test.ts proves it agrees with the CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RELEASE } from '../../lib/proof/compare';
import { LineServer } from '../../lib/proof/lines';
import { errorText, Rendered, Renderer, scratchValuesFile } from '../../lib/proof/renderers';
import { HelmRelease, helmEnv, helmName, helmRendererPath } from '../../lib/tooling/helm';

/** One renderer process for one chart (tools/helm-render of `release`); close() it when done. */
export class HelmRenderer implements Renderer {
  private readonly server: LineServer<{ values: string }, Rendered>;
  private readonly valuesFile = scratchValuesFile();

  constructor(
    readonly release: HelmRelease,
    chart: string,
  ) {
    const binary = helmRendererPath(release);
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run helm:setup\``);
    this.server = new LineServer(
      `helm-render ${release.version}`,
      binary,
      ['--chart', chart, '--name', RELEASE.name, '--namespace', RELEASE.namespace, '--values-file', this.valuesFile],
      helmEnv(),
    );
  }

  get name(): string {
    return `in-process ${helmName(this.release)}`;
  }

  async render(valuesText: string): Promise<Rendered> {
    const r = await this.server.request({ values: valuesText });
    return 'error' in r ? { error: errorText(r.error, this.valuesFile) } : r;
  }

  async close(): Promise<void> {
    await this.server.close();
    fs.rmSync(path.dirname(this.valuesFile), { recursive: true, force: true });
  }
}
