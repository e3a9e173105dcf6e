/**
 * Version discipline: a published chart version is immutable. If a chart's packaged content or rendered
 * output differs from what was published under the same version, the version must be bumped; a version
 * that is not published must be newer than everything published. Plus static metadata checks:
 * appVersion = default image tag, and well-formed Artifact Hub annotations.
 */
import YAML from 'yaml';
import { compareObjects, K8sObject, ObjectChanges, describeDifferences, deepEqual } from './objects';
import { compareSemVer, parseSemVer, previousVersion, sortVersionsDesc } from './semver';

/** What a chart version consists of: its packaged files (path inside the chart -> bytes) and its default render. */
export interface ChartContent {
  files: Map<string, Buffer>;
  /** Objects of `helm template` with default values, nondeterministic values masked. */
  objects: K8sObject[];
}

export type VersionPlan =
  /** Nothing of this chart is published yet. */
  | { kind: 'first' }
  /** This exact version is published: its content must be identical. */
  | { kind: 'published' }
  /** A new version, newer than every published one; `previous` is the one an upgrade starts from. */
  | { kind: 'bumped'; previous: string }
  /** A new version that is older than the latest published one. */
  | { kind: 'older'; latest: string; previous?: string };

/** Where `version` stands relative to the `published` versions of the same chart. */
export function planVersion(version: string, published: string[]): VersionPlan {
  if (published.includes(version)) return { kind: 'published' };
  const sorted = sortVersionsDesc(published);
  const latest = sorted[0];
  if (latest === undefined) return { kind: 'first' };
  if (compareSemVer(version, latest) > 0) return { kind: 'bumped', previous: latest };
  return { kind: 'older', latest, previous: previousVersion(version, sorted) };
}

export interface ContentDiff {
  changedFiles: string[];
  addedFiles: string[];
  removedFiles: string[];
  objects: ObjectChanges;
}

function parseYamlOrText(buf: Buffer): unknown {
  try {
    return YAML.parse(buf.toString('utf8'));
  } catch {
    return buf.toString('utf8');
  }
}

/**
 * File-level and object-level differences from a published chart version to the local one. Chart.yaml is
 * compared as data (helm package rewrites it, so formatting differs between Helm versions); every other
 * file byte for byte.
 */
export function compareContent(published: ChartContent, local: ChartContent, releaseNamespace = ''): ContentDiff {
  const diff: ContentDiff = { changedFiles: [], addedFiles: [], removedFiles: [], objects: compareObjects(published.objects, local.objects, releaseNamespace) };
  for (const [file, data] of local.files) {
    const old = published.files.get(file);
    if (old === undefined) diff.addedFiles.push(file);
    else if (file === 'Chart.yaml' ? !deepEqual(parseYamlOrText(old), parseYamlOrText(data)) : !old.equals(data)) diff.changedFiles.push(file);
  }
  for (const file of published.files.keys()) if (!local.files.has(file)) diff.removedFiles.push(file);
  return diff;
}

export function contentChanged(diff: ContentDiff): boolean {
  const o = diff.objects;
  return (
    diff.changedFiles.length + diff.addedFiles.length + diff.removedFiles.length + o.added.length + o.removed.length + o.changed.length > 0
  );
}

/** Human summary of a ContentDiff: "files changed: templates/a.yaml; objects changed: Deployment ns/web (spec...)". */
export function describeContentDiff(diff: ContentDiff, maxObjects = 5): string {
  const parts: string[] = [];
  if (diff.changedFiles.length) parts.push(`files changed: ${diff.changedFiles.join(', ')}`);
  if (diff.addedFiles.length) parts.push(`files added: ${diff.addedFiles.join(', ')}`);
  if (diff.removedFiles.length) parts.push(`files removed: ${diff.removedFiles.join(', ')}`);
  const o = diff.objects;
  if (o.changed.length) {
    // The same change in many objects (a label everywhere) is reported once, with the objects it touches.
    const groups = new Map<string, string[]>();
    for (const c of o.changed) {
      const what = describeDifferences(c.diffs, 2);
      groups.set(what, [...(groups.get(what) ?? []), c.object]);
    }
    const shown = [...groups].slice(0, maxObjects).map(([what, objects]) => {
      const names = objects.length > 3 ? `${objects.slice(0, 3).join(', ')} and ${objects.length - 3} more` : objects.join(', ');
      return `${names} (${what})`;
    });
    if (groups.size > maxObjects) shown.push(`... ${groups.size - maxObjects} more different changes`);
    parts.push(`rendered objects changed: ${shown.join('; ')}`);
  }
  if (o.added.length) parts.push(`rendered objects added: ${o.added.join(', ')}`);
  if (o.removed.length) parts.push(`rendered objects removed: ${o.removed.join(', ')}`);
  if (!o.changed.length && !o.added.length && !o.removed.length && parts.length) parts.push('rendered output (default values) unchanged');
  return parts.join('; ');
}

export type DisciplineStatus = 'first' | 'unchanged' | 'bumped' | 'changed-without-bump' | 'older';

export interface DisciplineResult {
  chart: string;
  version: string;
  status: DisciplineStatus;
  /** Empty when the version is acceptable. */
  problems: string[];
  /** The published version an upgrade to this one starts from (for the upgrade safety check). */
  previous?: string;
  diff?: ContentDiff;
}

export interface DisciplineInput {
  chart: string;
  version: string;
  /** Versions of this chart already published at the target. */
  published: string[];
  /** Content of the published `version`; required when `version` is among `published`. */
  publishedContent?: ChartContent;
  local: ChartContent;
  /** Where the published versions live, for messages ("oci://..." or ".../index.yaml"). */
  where?: string;
  /** Accept a new version lower than the latest published one (maintenance branches). */
  allowOlder?: boolean;
  releaseNamespace?: string;
  /**
   * Where the version is set, for messages ("bump the version <versionSource>"): the source of truth, e.g.
   * "in src/charts.ts (metadata.version of defineChart({ name: 'web' }))". @default "in Chart.yaml"
   */
  versionSource?: string;
}

/** Checks that `version` may be published given what is already published. */
export function versionDiscipline(input: DisciplineInput): DisciplineResult {
  const { chart, version } = input;
  const where = input.where ? ` at ${input.where}` : '';
  const source = input.versionSource ?? 'in Chart.yaml';
  if (!parseSemVer(version)) {
    return { chart, version, status: 'changed-without-bump', problems: [`${chart}: version ${JSON.stringify(version)} is not a semantic version (set it ${source})`] };
  }
  const plan = planVersion(version, input.published);
  switch (plan.kind) {
    case 'first':
      return { chart, version, status: 'first', problems: [] };
    case 'bumped':
      return { chart, version, status: 'bumped', problems: [], previous: plan.previous };
    case 'older':
      return input.allowOlder
        ? { chart, version, status: 'older', problems: [], previous: plan.previous }
        : {
            chart,
            version,
            status: 'older',
            previous: plan.previous,
            problems: [
              `${chart}: version ${version} is not published${where} but is older than the latest published version ${plan.latest}; bump the version ${source} above ${plan.latest} (or pass --allow-older for a maintenance release)`,
            ],
          };
    case 'published': {
      if (input.publishedContent === undefined) throw new Error(`${chart} ${version}: published content is required to compare`);
      const diff = compareContent(input.publishedContent, input.local, input.releaseNamespace);
      if (!contentChanged(diff)) return { chart, version, status: 'unchanged', problems: [], diff };
      const latest = sortVersionsDesc(input.published)[0]!;
      return {
        chart,
        version,
        status: 'changed-without-bump',
        diff,
        problems: [
          `${chart}: content changed but version ${version} is already published${where}; bump the version ${source}` +
            ` (latest published: ${latest}). ${describeContentDiff(diff)}`,
        ],
      };
    }
  }
}

// ---- static metadata checks ------------------------------------------------------------------------------

function normalizeImage(ref: string): string {
  let r = ref.trim().replace(/@sha256:[0-9a-f]+$/, '');
  r = r.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  r = r.replace(/^library\//, '');
  return r;
}

/**
 * appVersion must equal the default image tag (values image.tag) when the chart has one. Returns problems;
 * a chart without image.tag has nothing to check.
 */
export function appVersionProblems(chartName: string, chartYaml: Record<string, unknown>, values: unknown): string[] {
  const image = (values as { image?: { tag?: unknown } } | null)?.image;
  const tag = image && typeof image === 'object' ? image.tag : undefined;
  if (tag === undefined || tag === null || tag === '') return [];
  const appVersion = chartYaml.appVersion;
  if (appVersion === undefined || appVersion === null || appVersion === '') {
    return [`${chartName}: Chart.yaml has no appVersion but values.yaml image.tag is ${JSON.stringify(String(tag))}; set appVersion to the default image tag`];
  }
  if (String(appVersion) !== String(tag)) {
    return [`${chartName}: appVersion ${JSON.stringify(String(appVersion))} in Chart.yaml differs from the default image tag ${JSON.stringify(String(tag))} (values.yaml image.tag)`];
  }
  return [];
}

const LIST_ANNOTATIONS = ['images', 'links', 'changes', 'maintainers', 'crds', 'crdsExamples', 'recommendations', 'screenshots'];
const BOOLEAN_ANNOTATIONS = ['containsSecurityUpdates', 'prerelease', 'operator'];
const CHANGE_KINDS = new Set(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']);

/**
 * Artifact Hub annotations (artifacthub.io/*) that Artifact Hub would silently ignore or that are stale:
 * list annotations must be YAML lists, booleans "true"/"false", and artifacthub.io/images must list the
 * chart's default image (image.repository:image.tag) when values define one.
 */
export function artifactHubProblems(chartName: string, chartYaml: Record<string, unknown>, values: unknown): string[] {
  const annotations = chartYaml.annotations;
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [`${chartName}: Chart.yaml annotations must be a map of strings`];
  const problems: string[] = [];
  const a = annotations as Record<string, unknown>;
  for (const [key, value] of Object.entries(a)) {
    if (typeof value !== 'string') problems.push(`${chartName}: annotation ${key} must be a string (quote it or use a YAML block scalar "|")`);
  }
  for (const name of LIST_ANNOTATIONS) {
    const raw = a[`artifacthub.io/${name}`];
    if (typeof raw !== 'string') continue;
    let parsed: unknown;
    try {
      parsed = YAML.parse(raw);
    } catch (e) {
      problems.push(`${chartName}: annotation artifacthub.io/${name} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!Array.isArray(parsed)) {
      problems.push(`${chartName}: annotation artifacthub.io/${name} must be a YAML list (a block scalar "|" holding "- ..." items)`);
      continue;
    }
    if (name === 'images') {
      for (const item of parsed) {
        if (!item || typeof item !== 'object' || typeof (item as { image?: unknown }).image !== 'string') {
          problems.push(`${chartName}: every artifacthub.io/images item needs "name" and "image"`);
          break;
        }
      }
      const image = (values as { image?: { repository?: unknown; tag?: unknown } } | null)?.image;
      if (image && typeof image.repository === 'string' && image.tag !== undefined && image.tag !== '') {
        const expected = normalizeImage(`${image.repository}:${String(image.tag)}`);
        const listed = parsed
          .map((i) => (i && typeof i === 'object' ? (i as { image?: unknown }).image : undefined))
          .filter((i): i is string => typeof i === 'string');
        if (!listed.some((i) => normalizeImage(i) === expected)) {
          problems.push(
            `${chartName}: annotation artifacthub.io/images does not list the default image ${image.repository}:${String(image.tag)} (lists: ${listed.join(', ') || 'nothing'})`,
          );
        }
      }
    }
    if (name === 'links') {
      if (parsed.some((i) => !i || typeof i !== 'object' || typeof (i as { url?: unknown }).url !== 'string' || typeof (i as { name?: unknown }).name !== 'string')) {
        problems.push(`${chartName}: every artifacthub.io/links item needs "name" and "url"`);
      }
    }
    if (name === 'changes') {
      for (const item of parsed) {
        if (typeof item === 'string') continue;
        const kind = item && typeof item === 'object' ? (item as { kind?: unknown }).kind : undefined;
        const description = item && typeof item === 'object' ? (item as { description?: unknown }).description : undefined;
        if (typeof description !== 'string' || (kind !== undefined && !CHANGE_KINDS.has(String(kind)))) {
          problems.push(
            `${chartName}: artifacthub.io/changes items are strings or {kind, description} with kind one of ${[...CHANGE_KINDS].join(', ')}`,
          );
          break;
        }
      }
    }
  }
  for (const name of BOOLEAN_ANNOTATIONS) {
    const raw = a[`artifacthub.io/${name}`];
    if (raw !== undefined && raw !== 'true' && raw !== 'false') {
      problems.push(`${chartName}: annotation artifacthub.io/${name} must be the string "true" or "false"`);
    }
  }
  const license = a['artifacthub.io/license'];
  if (license !== undefined && (typeof license !== 'string' || !/^[A-Za-z0-9.+\-() ]+$/.test(license))) {
    problems.push(`${chartName}: annotation artifacthub.io/license must be an SPDX identifier such as Apache-2.0`);
  }
  return problems;
}
