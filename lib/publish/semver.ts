/**
 * SemVer 2 parsing and precedence, as Helm orders chart versions (build metadata ignored).
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** Parses "1.2.3", "1.2.3-rc.1+build.5"; undefined when not a strict SemVer 2 version. */
export function parseSemVer(version: string): SemVer | undefined {
  const m = SEMVER.exec(version.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ?? '',
  };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1; // numeric identifiers have lower precedence
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer precedence: negative if a < b, 0 if equal precedence, positive if a > b. Throws on invalid input. */
export function compareSemVer(a: string, b: string): number {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (!x) throw new Error(`not a semantic version: ${JSON.stringify(a)}`);
  if (!y) throw new Error(`not a semantic version: ${JSON.stringify(b)}`);
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (x[k] !== y[k]) return Math.sign(x[k] - y[k]);
  }
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return y.prerelease.length - x.prerelease.length === 0 ? 0 : x.prerelease.length === 0 ? 1 : -1;
  }
  const n = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(x.prerelease[i]!, y.prerelease[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}

/** Versions sorted newest first; entries that are not SemVer are dropped. */
export function sortVersionsDesc(versions: Iterable<string>): string[] {
  return [...new Set(versions)].filter((v) => parseSemVer(v) !== undefined).sort((a, b) => compareSemVer(b, a));
}

/** Highest version strictly lower than `version` among `versions`, if any. */
export function previousVersion(version: string, versions: Iterable<string>): string | undefined {
  return sortVersionsDesc(versions).find((v) => compareSemVer(v, version) < 0);
}
