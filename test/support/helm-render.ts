/**
 * The in-process renderer (tools/helm-render) of the newest release of each helm major, as this repository
 * builds it (`npm run helm:setup`, into .tools/helm-render/): lib/proof's InProcessRenderer, which the proof
 * also uses by default in a team's own project (built into the cache there). test/helm-render.test.ts proves
 * it agrees with the CLI.
 */
import * as fs from 'node:fs';
import { InProcessRenderer } from '../../lib/proof/renderers';
import { HelmRelease, helmRendererPath } from '../../lib/tooling/helm';

/** One renderer process for one chart (tools/helm-render of `release`); close() it when done. */
export class HelmRenderer extends InProcessRenderer {
  constructor(release: HelmRelease, chart: string) {
    const binary = helmRendererPath(release);
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run helm:setup\``);
    super(release, binary, chart);
  }
}
