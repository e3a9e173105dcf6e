/**
 * Builds small Go tools (tools/yaml2json, tools/helm-render) into the directory each caller chooses, again only
 * when a source is newer than the binary.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `go` on PATH, else the usual install locations; throws a clear error when there is none. */
export function goBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin', path.join(os.homedir(), 'go', 'bin')]) {
    if (!dir) continue;
    const candidate = path.join(dir, 'go');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error('no `go` found (PATH, /usr/local/go/bin): the helm CLIs, the renderers and the cluster binaries are built with Go');
}

/** Newest modification time of the Go sources (*.go, go.mod, go.sum) under `dirs`. */
function newestSource(dirs: string[]): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.go$|^go\.(mod|sum)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) walk(d);
  return newest;
}

export interface GoTool {
  /** Directory of the main package (and its go.mod). */
  moduleDir: string;
  /** Every directory whose sources the binary is built from (local `replace` targets included). */
  sourceDirs: string[];
  binary: string;
  ldflags?: string;
  /** An alternate go.mod in moduleDir (`go build -modfile=`; its .sum beside it), e.g. one per Kubernetes release. */
  modFile?: string;
  /** Run the build under `nice -n 10` (large builds on a shared machine). @default false */
  nice?: boolean;
}

/** `go build` the tool unless the binary is newer than all its sources; says whether it built. */
export function buildGoTool(tool: GoTool): boolean {
  if (fs.existsSync(tool.binary) && fs.statSync(tool.binary).mtimeMs >= newestSource(tool.sourceDirs)) return false;
  fs.mkdirSync(path.dirname(tool.binary), { recursive: true });
  const tmp = `${tool.binary}.tmp-${process.pid}`;
  const args = [
    'build',
    ...(tool.modFile ? [`-modfile=${tool.modFile}`] : []),
    '-trimpath',
    '-ldflags',
    `-s -w ${tool.ldflags ?? ''}`.trim(),
    '-o',
    tmp,
    '.',
  ];
  const nice = tool.nice && fs.existsSync('/usr/bin/nice');
  const r = spawnSync(nice ? '/usr/bin/nice' : goBinary(), nice ? ['-n', '10', goBinary(), ...args] : args, {
    cwd: tool.moduleDir,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' },
  });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`building ${path.relative(process.cwd(), tool.moduleDir) || tool.moduleDir} failed: ${r.error?.message ?? r.stderr}`);
  }
  fs.renameSync(tmp, tool.binary); // atomic: a half-written binary is never used
  return true;
}
