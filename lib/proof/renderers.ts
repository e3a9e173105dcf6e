/**
 * Helm's rendering of values files, as the proof compares it with raw synthesis: the in-process renderers
 * built from helm's Go modules (tools/helm-render, proven equal to their CLI by test/helm-render.test.ts),
 * the `helm template` CLI of a helm binary, or any other Renderer. YAML is read as Kubernetes and Helm read
 * it (tools/yaml2json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelmRelease, HelmResult, helmEnv, helmName, helmVersionOf, runHelmAsync } from '../tooling/helm';
import { yaml2jsonBinary } from '../tooling/yaml2json';
import { K8sObject, parseStream, RELEASE } from './compare';
import { LineServer } from './lines';

/** What `helm template` gives for a values file: the documents it prints, read as Kubernetes reads them, or its error. */
export type Rendered = { docs: K8sObject[] } | { error: string } | { yamlError: string };

/** Something that renders one chart for values files as `helm template rel <chart> --namespace team-ns -f <file>` does. */
export interface Renderer {
  /** Names it in failures, e.g. "helm 3.17.2". */
  readonly name: string;
  render(valuesText: string): Promise<Rendered>;
}

/** The scratch values file helm is pointed at, named in its parse errors as `<values>`. */
const VALUES_PLACEHOLDER = '<values>';

export function scratchValuesFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'values-')), 'values.yaml');
}

/** helm's error text as a renderer reports it: after "Error: ", with the values file's path replaced. */
export function errorText(text: string, valuesFile: string): string {
  return text.split(valuesFile).join(VALUES_PLACEHOLDER).trimEnd();
}

/**
 * `helm template rel CHART --namespace team-ns -f <values file with this text>` with the helm binary `helm`,
 * and `--api-versions` for each of `apiVersions` (API versions the cluster would serve).
 */
export async function cliTemplate(helm: string, chart: string, valuesText: string, apiVersions: readonly string[] = []): Promise<{ result: HelmResult; rendered: Rendered }> {
  const file = scratchValuesFile();
  fs.writeFileSync(file, valuesText);
  try {
    const capabilities = apiVersions.flatMap((v) => ['--api-versions', v]);
    const result = await runHelmAsync(helm, ['template', RELEASE.name, chart, '--namespace', RELEASE.namespace, ...capabilities, '-f', file]);
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

/** At most one helm process per core at a time, whatever the batch size: each takes a core and ~50 MB. */
function limiter(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (job) => {
    if (running >= slots) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

const cliSlot = limiter(os.availableParallelism());

/**
 * The `helm template` CLI of the binary `helm` as a Renderer (one helm process per values file), with
 * `--api-versions` for each of `apiVersions`.
 */
export function cliRenderer(helm: string, chart: string, name = `helm ${helmVersionOf(helm)?.replace(/^v/, '') ?? helm}`, apiVersions: readonly string[] = []): Renderer {
  return { name, render: (text) => cliSlot(async () => (await cliTemplate(helm, chart, text, apiVersions)).rendered) };
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

/**
 * An in-process renderer (tools/helm-render, see ../tooling/helm-render.ts): one process that loads `chart`
 * once and renders each values file as `helm template` of `release` does. close() it when done.
 */
export class InProcessRenderer implements Renderer {
  private readonly server: LineServer<{ values: string }, Rendered>;
  private readonly valuesFile = scratchValuesFile();

  constructor(
    readonly release: HelmRelease,
    binary: string,
    chart: string,
  ) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing`);
    this.server = new LineServer(
      `helm-render ${release.version}`,
      binary,
      ['--chart', chart, '--name', RELEASE.name, '--namespace', RELEASE.namespace, '--values-file', this.valuesFile],
      helmEnv(),
    );
  }

  /** "in-process helm 4.3.2" */
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
