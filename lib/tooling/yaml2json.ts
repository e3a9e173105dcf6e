/**
 * Parse YAML the way Kubernetes and Helm do. The JavaScript `yaml` package reads `on`, `yes` or `1_000`
 * as strings (YAML 1.2) where Helm's values reader sees booleans and numbers, and its YAML 1.1 mode reads
 * `e9` or `.` as numbers where Kubernetes reads strings. So manifests and values files are read by a tiny Go
 * program built from tools/yaml2json with sigs.k8s.io/yaml, the library Kubernetes and Helm use.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedBinDir } from './cache';
import { buildGoTool, goBinary } from './go-build';
import { repoRoot } from './helm';

/** tools/yaml2json, shipped in the package as Go source. */
function sourceDir(): string {
  return path.join(repoRoot(), 'tools', 'yaml2json');
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.go$|(^|\/)go\.(mod|sum)$/.test(f))
    .sort();
}

let builtPath: string | undefined;

/**
 * The parser binary: $CHART_AS_CODE_YAML2JSON if set (a prebuilt tools/yaml2json), else
 * `<cache>/bin/yaml2json-<hash of its sources>`, built with Go on first use (one per source version, so
 * checkouts and installed versions never share a stale one). Throws a clear error when neither is possible:
 * there is no other reader that reads YAML as Kubernetes and Helm do.
 */
export function yaml2jsonBinary(): string {
  const given = process.env.CHART_AS_CODE_YAML2JSON;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`CHART_AS_CODE_YAML2JSON=${given}: no such file`);
    return given;
  }
  return (builtPath ??= buildYaml2json().binary);
}

/** Build the parser unless it is in the cache (needs Go; `npm run helm:setup` does it up front). */
export function buildYaml2json(): { binary: string; built: boolean } {
  const src = sourceDir();
  const hash = createHash('sha256');
  for (const f of sourceFiles(src)) hash.update(`${f}\0`).update(fs.readFileSync(path.join(src, f))).update('\0');
  const binary = path.join(cachedBinDir(), `yaml2json-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(binary)) return { binary, built: false };
  try {
    goBinary();
  } catch {
    throw new Error(
      `chart-as-code reads YAML as Kubernetes and Helm do with a small Go program (${src}), built once into ${cachedBinDir()}: ` +
        'install Go (https://go.dev/dl/), or set CHART_AS_CODE_YAML2JSON to a yaml2json binary built from those sources',
    );
  }
  return { binary, built: buildGoTool({ moduleDir: src, sourceDirs: [src], binary }) };
}

/**
 * The most JSON a values file may read as. YAML aliases repeat a node without repeating its text, so a file
 * within MAX_INPUT_BYTES can stand for gigabytes: tools/yaml2json refuses more than 64 MiB of expanded
 * keys and scalars (MaxValuesBytes), and JSON's escapes may add to that, so this is a backstop.
 */
export const MAX_VALUES_JSON_BYTES = 128 * 1024 * 1024;

function runYaml2json(args: string[], text: string, maxBuffer = 256 * 1024 * 1024): { ok: true; json: string } | { ok: false; error: string } {
  const r = spawnSync(yaml2jsonBinary(), args, { input: text, encoding: 'utf8', maxBuffer });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOBUFS') return { ok: false, error: `reads as more than ${maxBuffer} bytes of JSON` };
  if (r.error) throw r.error;
  if (r.status !== 0) return { ok: false, error: (r.stderr || `yaml2json exited with ${r.status}`).replace(/^yaml2json: /, '').trim() };
  return { ok: true, json: r.stdout };
}

/** Every non-empty document of a YAML stream, as Kubernetes reads it. */
export function k8sYamlToJson(text: string): unknown[] {
  const r = runYaml2json([], text);
  if (!r.ok) throw new Error(r.error);
  return JSON.parse(r.json) as unknown[];
}

/** A values file read exactly as `helm -f` reads it (YAML 1.1 scalars: `on` is true, `0x1F` is 31). */
export function readValuesYaml(text: string, source: string): Record<string, unknown> {
  const r = runYaml2json(['--values'], text, MAX_VALUES_JSON_BYTES);
  if (!r.ok) throw Object.assign(new Error(`${source}: ${r.error}`), { name: 'ValuesError' });
  return JSON.parse(r.json) as Record<string, unknown>;
}
