/**
 * Parse YAML the way Kubernetes does. The JavaScript `yaml` package's YAML 1.1 mode reads scalars such
 * as `e9` or `.` as numbers where Kubernetes (sigs.k8s.io/yaml) reads strings, so equality of two
 * renderings is decided by a tiny Go program built from tools/yaml2json with that very library.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helm';

export function yaml2jsonBinary(): string {
  return path.join(repoRoot(), '.tools', 'yaml2json', 'yaml2json');
}

/** Build the parser when its sources are newer than the binary (needs Go; done by `npm run helm:setup`). */
export function buildYaml2json(): { binary: string; built: boolean } {
  const binary = yaml2jsonBinary();
  const src = path.join(repoRoot(), 'tools', 'yaml2json');
  const newest = Math.max(...['main.go', 'go.mod', 'go.sum'].map((f) => fs.statSync(path.join(src, f)).mtimeMs));
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs >= newest) return { binary, built: false };
  const r = spawnSync('go', ['build', '-o', binary, '.'], { cwd: src, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`building tools/yaml2json failed (is Go installed?): ${r.error?.message ?? r.stderr}`);
  return { binary, built: true };
}

/** Every non-empty document of a YAML stream, as Kubernetes reads it. */
export function k8sYamlToJson(text: string): unknown[] {
  const binary = yaml2jsonBinary();
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run helm:setup\``);
  const r = spawnSync(binary, [], { input: text, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr || `yaml2json exited with ${r.status}`);
  return JSON.parse(r.stdout) as unknown[];
}
