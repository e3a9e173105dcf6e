/**
 * A chart definition as a real Helm chart: templates from the construct code rendered in helm mode,
 * `_helpers.tpl`, Chart.yaml (with Artifact Hub annotations), values.yaml, values.schema.json and README,
 * all derived from the one definition.
 */
import * as path from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import YAML from 'yaml';
import { ChartDefinition, declaredPodSecurityLevel, synthObjects } from './chart';
import { ChartError } from './errors';
import { chartReadme, valuesYaml } from './docs';
import { HelmEmitter } from './emit';
import { goHelpers } from './helpers-tpl';
import { replaceDirectory } from './output';
import { valuesJsonSchema } from './schema';
import { HelmRender, Render } from './template';

/** The Kubernetes versions a chart claims unless its metadata says otherwise. */
export const DEFAULT_KUBE_VERSION = '>=1.30.0-0';

const HELMIGNORE = `# Patterns to ignore when packaging.
.DS_Store
.git/
*.swp
*.bak
*.tmp
*.orig
*~
`;

/** Short file names of kinds, as charts usually name them. */
const KIND_FILE: Record<string, string> = { PersistentVolumeClaim: 'pvc', HorizontalPodAutoscaler: 'hpa', PodDisruptionBudget: 'pdb' };
/** Words of construct ids that say nothing beyond the kind or the place (dropped from file names). */
const FILLER_WORDS = new Set(['resource', 'workload', 'extras', 'secrets']);
/** Words that name a kind in construct ids, so `PreviewService` gives service-preview.yaml, not service-preview-service.yaml. */
const KIND_WORDS: Record<string, string[]> = {
  Deployment: ['deployment'],
  Service: ['service'],
  PersistentVolumeClaim: ['claim', 'pvc'],
  HorizontalPodAutoscaler: ['autoscaler', 'hpa'],
  PodDisruptionBudget: ['disruption', 'budget', 'pdb'],
  Job: ['job'],
  Secret: ['secret'],
  ConfigMap: ['config', 'map'],
  Role: ['role'],
  RoleBinding: ['role', 'binding'],
  ServiceAccount: ['service', 'account'],
  Pod: ['pod'],
  Ingress: ['ingress'],
  NetworkPolicy: ['network', 'policy'],
};

const words = (id: string) => id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/**
 * A template's file name, by kind and role as Bitnami names them (`deployment.yaml`, `deployment-blue.yaml`,
 * `service-preview.yaml`, `secret-credentials.yaml`, `role-licensing.yaml`): the kind, then what the
 * construct path says beyond it. `dir` is the folder of the object's part of a composed chart, if any.
 */
function templateFileName(obj: ApiObject, below: string[], dir: string): string {
  const kindWords = KIND_WORDS[obj.kind] ?? [];
  const role = below.flatMap(words).filter((w) => !FILLER_WORDS.has(w) && !kindWords.includes(w));
  const name = [KIND_FILE[obj.kind] ?? obj.kind.toLowerCase(), ...role.filter((w, i) => role.indexOf(w) === i)].join('-');
  return `${dir}${name}.yaml`;
}

/**
 * Template files of a rendered chart by object: in a chart of one part (a product's own chart) all in
 * templates/, in a composed chart one folder per part (`icap/`, `core/`); `helm test` hooks in tests/.
 */
function templateFiles(chart: Chart, tests: ReadonlySet<string>): Map<ApiObject, string> {
  const objects = chart.node.findAll().filter(ApiObject.isApiObject);
  const partOf = (o: ApiObject) => o.node.path.slice(chart.node.path.length + 1).split('/');
  const parts = new Set(objects.map((o) => partOf(o)).filter((p) => p.length > 1 && !tests.has(p[0]!)).map((p) => p[0]!));
  const files = new Map<ApiObject, string>();
  const taken = new Map<string, string>();
  for (const obj of objects) {
    const [top, ...below] = partOf(obj) as [string, ...string[]];
    const dir = tests.has(top) ? 'tests/' : parts.size > 1 && below.length > 0 ? `${top}/` : '';
    const file = `templates/${templateFileName(obj, below.length > 0 ? below : [top], dir)}`;
    const other = taken.get(file);
    if (other) throw new Error(`${other} and ${obj.node.path} would both be written to ${file}: give one of them another construct id`);
    taken.set(file, obj.node.path);
    files.set(obj, file);
  }
  return files;
}

/** Every container image the chart runs with its defaults (tests included), for Artifact Hub. */
function defaultImages(def: ChartDefinition): { name: string; image: string }[] {
  const { objects } = synthObjects({ chart: def, includeTests: true });
  const images = new Map<string, string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.image === 'string' && typeof o.name === 'string') images.set(o.image, o.image.split('/').pop()!.split(':')[0]!);
      Object.values(o).forEach(visit);
    }
  };
  visit(objects);
  return [...images].map(([image, name]) => ({ name, image })).sort((a, b) => a.image.localeCompare(b.image));
}

function chartYaml(def: ChartDefinition): Record<string, unknown> {
  const m = def.metadata;
  const links = [...(m.home ? [{ name: 'Home', url: m.home }] : []), ...(m.sources ?? []).map((url) => ({ name: 'Source', url }))];
  const changes = m.changes ?? [{ kind: 'added', description: 'First release, generated by chart-as-code.' }];
  const podSecurity = declaredPodSecurityLevel(def);
  return {
    apiVersion: 'v2',
    name: def.name,
    description: m.description,
    type: 'application',
    version: m.version,
    appVersion: m.appVersion,
    kubeVersion: m.kubeVersion ?? DEFAULT_KUBE_VERSION,
    ...(m.home ? { home: m.home } : {}),
    ...(m.sources?.length ? { sources: [...m.sources] } : {}),
    ...(m.keywords?.length ? { keywords: [...m.keywords] } : {}),
    ...(m.maintainers?.length ? { maintainers: m.maintainers.map((x) => ({ ...x })) } : {}),
    annotations: {
      'artifacthub.io/license': m.license ?? 'Apache-2.0',
      'artifacthub.io/category': m.category ?? 'integration-delivery',
      'artifacthub.io/images': YAML.stringify(defaultImages(def)),
      ...(links.length ? { 'artifacthub.io/links': YAML.stringify(links) } : {}),
      'artifacthub.io/changes': YAML.stringify(changes, { lineWidth: 0 }),
      'artifacthub.io/containsSecurityUpdates': String(changes.some((c) => c.kind === 'security')),
      'artifacthub.io/prerelease': String(m.version.includes('-')),
      // The namespace label its pods need: pod-security.kubernetes.io/enforce=<level>.
      ...(podSecurity ? { 'chart-as-code/pod-security-level': podSecurity } : {}),
    },
  };
}

/** Every file of a chart's Helm chart, by path relative to the chart directory. */
export function renderChart(def: ChartDefinition): Map<string, string> {
  const files = new Map<string, string>();
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, def.name, { disableResourceNameHashes: true });
  const render = new HelmRender({ name: def.name, version: def.metadata.version }, chart);
  Render.attach(chart, render);
  const values = render.rootValues(def.schema);
  def.build(chart, values);
  const built = new Set(chart.node.children.map((c) => c.node.id));
  def.tests?.(chart, values);
  const tests = new Set(chart.node.children.map((c) => c.node.id).filter((id) => !built.has(id)));

  const emitter = new HelmEmitter(render);
  const header = '# Generated by chart-as-code from the construct code. Do not edit.\n';
  for (const [obj, file] of templateFiles(chart, tests)) {
    try {
      files.set(file, header + emitter.document(obj.toJson(), render.conditionsOf(obj)));
    } catch (e) {
      throw e instanceof ChartError ? new ChartError(`${obj.node.path}: ${e.message}`) : e;
    }
  }

  let helpers = goHelpers(def.name);
  for (const t of render.namedTemplates.values()) helpers += `\n${emitter.definition(t)}`;
  files.set('templates/_helpers.tpl', helpers);
  if (def.metadata.notes) files.set('templates/NOTES.txt', def.metadata.notes);

  files.set('Chart.yaml', header + YAML.stringify(chartYaml(def), { lineWidth: 0 }));
  files.set('values.yaml', valuesYaml(def.schema));
  files.set('values.schema.json', `${JSON.stringify(valuesJsonSchema(def.schema), null, 2)}\n`);
  files.set('README.md', chartReadme(def));
  files.set('.helmignore', HELMIGNORE);
  return files;
}

/**
 * Write <outDir>/<name>/ for each chart. Every chart is rendered before anything is written, and each
 * directory is swapped in whole, so an error leaves `outDir` as it was.
 */
export function writeCharts(defs: readonly ChartDefinition[], outDir: string): { name: string; files: number }[] {
  const rendered = defs.map((d) => ({ name: d.name, files: renderChart(d) }));
  for (const { name, files } of rendered) replaceDirectory(path.join(outDir, name), files);
  return rendered.map((r) => ({ name: r.name, files: r.files.size }));
}
