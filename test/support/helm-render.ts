/**
 * Helm's rendering of values files, both ways the tests run it: the real `helm template` CLI of any
 * release, and the in-process renderer (tools/helm-render) of the newest release of each major, which
 * loads a chart once and renders thousands of values files in one process. test/helm-render.test.ts
 * proves the two agree.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelmRelease, HelmResult, helmEnv, helmName, helmRendererPath, runHelmAsync } from '../../lib/tooling/helm';
import { yaml2jsonBinary } from '../../lib/tooling/yaml2json';
import { LineServer } from './lines';
import { K8sObject, parseStream, RELEASE } from './render';

/** What `helm template` gives for a values file: the documents it prints, read as Kubernetes reads them, or its error. */
export type Rendered = { docs: K8sObject[] } | { error: string } | { yamlError: string };

/** The scratch values file helm is pointed at, named in its parse errors as `<values>`. */
const VALUES_PLACEHOLDER = '<values>';

function scratchValuesFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'values-')), 'values.yaml');
}

/** helm's error text as the renderer reports it: after "Error: ", with the values file's path replaced. */
function errorText(text: string, valuesFile: string): string {
  return text.split(valuesFile).join(VALUES_PLACEHOLDER).trimEnd();
}

/** `helm template rel CHART --namespace team-ns -f <values file with this text>` with the release's CLI. */
export async function cliTemplate(release: HelmRelease, chart: string, valuesText: string): Promise<{ result: HelmResult; rendered: Rendered }> {
  const file = scratchValuesFile();
  fs.writeFileSync(file, valuesText);
  try {
    const result = await runHelmAsync(release, ['template', RELEASE.name, chart, '--namespace', RELEASE.namespace, '-f', file]);
    let rendered: Rendered;
    if (result.code !== 0) {
      // helm prints warnings before the error; the error is the last "Error: " block.
      const at = result.stderr.lastIndexOf('Error: ');
      rendered = { error: errorText(at >= 0 ? result.stderr.slice(at + 'Error: '.length) : result.stderr, file) };
    } else {
      try {
        rendered = { docs: parseStream(result.stdout) };
      } catch (e) {
        rendered = { yamlError: (e as Error).message };
      }
    }
    return { result, rendered };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** Something that renders one chart for values files as `helm template` does. */
export interface Renderer {
  readonly name: string;
  render(valuesText: string): Promise<Rendered>;
}

/** The real CLI of a release as a Renderer (one helm process per values file). */
export function cliRenderer(release: HelmRelease, chart: string): Renderer {
  return { name: helmName(release), render: async (text) => (await cliTemplate(release, chart, text)).rendered };
}

type RenderAnswer = { docs: K8sObject[] } | { error: string } | { yamlError: string };

/** One renderer process for one chart (tools/helm-render of `release`); close() it when done. */
export class HelmRenderer implements Renderer {
  private readonly server: LineServer<{ values: string }, RenderAnswer>;
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

/** `yaml2json --lines`: YAML streams and values files read as Kubernetes and Helm read them, many per process. */
export class Yaml2json {
  private readonly server = new LineServer<{ stream: string } | { values: string }, { docs: unknown[] } | { values: Record<string, unknown> } | { error: string }>(
    'yaml2json',
    yaml2jsonBinary(),
    ['--lines'],
  );

  async documents(text: string): Promise<K8sObject[]> {
    const r = await this.server.request({ stream: text });
    if ('error' in r) throw new Error(r.error);
    if (!('docs' in r)) throw new Error('yaml2json: unexpected answer');
    return r.docs.filter((d): d is K8sObject => d !== null && typeof d === 'object');
  }

  /** A values file as `helm -f` reads it, or the reason it cannot be read. */
  async values(text: string): Promise<{ values: Record<string, unknown> } | { error: string }> {
    const r = await this.server.request({ values: text });
    if ('docs' in r) throw new Error('yaml2json: unexpected answer');
    return r;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
