/**
 * The one-step swap of two directories: tools/rename-exchange calls Linux's renameat2(RENAME_EXCHANGE),
 * which Node has no binding for. Built with Go into the cache on first use, like yaml2json.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedBinDir } from './cache';
import { buildGoTool, goBinary } from './go-build';
import { repoRoot } from './helm';

let built: string | null | undefined;

/**
 * The helper binary: $CHART_AS_CODE_EXCHANGE if set (a prebuilt tools/rename-exchange, or `off` for none),
 * else `<cache>/bin/rename-exchange-<hash of its sources>`, built with Go on first use. `null` off Linux,
 * without Go, or when the build fails: the caller then swaps with two renames.
 */
function exchangeBinary(): string | null {
  const given = process.env.CHART_AS_CODE_EXCHANGE;
  if (given) return given === 'off' ? null : given;
  if (built !== undefined) return built;
  if (process.platform !== 'linux') return (built = null);
  try {
    const src = path.join(repoRoot(), 'tools', 'rename-exchange');
    const hash = createHash('sha256');
    for (const f of ['go.mod', 'main.go']) hash.update(`${f}\0`).update(fs.readFileSync(path.join(src, f))).update('\0');
    const bin = path.join(cachedBinDir(), `rename-exchange-${hash.digest('hex').slice(0, 16)}`);
    if (!fs.existsSync(bin)) {
      goBinary();
      buildGoTool({ moduleDir: src, sourceDirs: [src], binary: bin });
    }
    return (built = bin);
  } catch {
    return (built = null);
  }
}

/**
 * Swap directories `a` and `b` (both existing, on one file system) in one step. Returns false when this
 * system cannot (no helper, another OS, a file system without RENAME_EXCHANGE); throws on any other failure.
 */
export function exchangeDirectories(a: string, b: string): boolean {
  const bin = exchangeBinary();
  if (!bin) return false;
  const r = spawnSync(bin, [a, b], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status === 3) return false;
  // `syscall` marks it as a system error, reported in one line like fs' own.
  if (r.status !== 0) throw Object.assign(new Error(r.stderr.trim() || `rename-exchange exited with ${r.status}`), { syscall: 'renameat2' });
  return true;
}
