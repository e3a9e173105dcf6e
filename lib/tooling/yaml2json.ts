/**
 * Parse YAML the way Kubernetes and Helm do. The JavaScript `yaml` package reads `on`, `yes` or `1_000`
 * as strings (YAML 1.2) where Helm's values reader sees booleans and numbers, and its YAML 1.1 mode reads
 * `e9` or `.` as numbers where Kubernetes reads strings. So manifests and values files are read by a tiny Go
 * program built from tools/yaml2json with sigs.k8s.io/yaml, the library Kubernetes and Helm use.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGoTool } from './go-build';
import { repoRoot } from './helm';

export function yaml2jsonBinary(): string {
  return path.join(repoRoot(), '.tools', 'yaml2json', 'yaml2json');
}

/** Build the parser when its sources are newer than the binary (needs Go; done by `npm run helm:setup`). */
export function buildYaml2json(): { binary: string; built: boolean } {
  const binary = yaml2jsonBinary();
  const src = path.join(repoRoot(), 'tools', 'yaml2json');
  return { binary, built: buildGoTool({ moduleDir: src, sourceDirs: [src], binary }) };
}

function runYaml2json(args: string[], text: string): { ok: true; json: string } | { ok: false; error: string } {
  const binary = yaml2jsonBinary();
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run helm:setup\``);
  const r = spawnSync(binary, args, { input: text, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
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
  const r = runYaml2json(['--values'], text);
  if (!r.ok) throw Object.assign(new Error(`${source}: ${r.error}`), { name: 'ValuesError' });
  return JSON.parse(r.json) as Record<string, unknown>;
}
