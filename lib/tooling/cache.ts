import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where tools built from Go modules are cached across runs and checkouts, by version (helm CLIs, the
 * cluster binaries): $CHART_AS_CODE_CACHE, else $XDG_CACHE_HOME/chart-as-code, else ~/.cache/chart-as-code.
 */
export function cacheDir(): string {
  if (process.env.CHART_AS_CODE_CACHE) return path.resolve(process.env.CHART_AS_CODE_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'chart-as-code');
}

/** The cached binaries: `<cacheDir>/bin/<name>-<version>`. */
export function cachedBinDir(): string {
  return path.join(cacheDir(), 'bin');
}
