/**
 * The cdk8s app (`npx cdk8s synth`, `npm run synth`): raw manifests of the whole stack in dist/.
 *
 * The cdk8s CLI empties its output directory before running the app, so cdk8s.yaml points it at a
 * scratch directory and this app swaps the finished manifests into dist/ itself (`replaceDirectory`): on
 * any error dist/ keeps its previous content. CHART_AS_CODE_DIST=<dir> writes there instead; a directory
 * chart-as-code did not write is refused.
 *
 * STACK_VALUES=<file.yaml> overrides values per system ({ md-icapsrv: { replicaCount: 3 } }), e.g. per
 * environment in CI, without a code change. The file is read as Helm reads values files, so the same
 * values file gives the same objects from both outputs.
 */
import * as path from 'node:path';
import { readValuesFile } from '../lib/core/input';
import { onlyFilesEndingWith, replaceDirectory, runMain } from '../lib/core/output';
import { synthManifestFiles } from '../lib/core/synth';
import { stackInstances, StackOverrides } from './stack';

/** STACK_VALUES read exactly as `helm -f` reads a values file (YAML 1.1: `env: on` is a boolean there too). */
function readOverrides(): StackOverrides {
  const file = process.env.STACK_VALUES;
  if (!file) return {};
  return readValuesFile(file, { what: `STACK_VALUES=${file}` }) as StackOverrides;
}

runMain(() => {
  const dist = path.resolve(process.env.CHART_AS_CODE_DIST ?? path.join(__dirname, '..', 'dist'));
  const overrides = readOverrides();
  // Each chart synthesized on its own (linear in the number of charts) with Kubernetes-safe quoting.
  const files = synthManifestFiles(stackInstances({ overrides }));
  // dist/ of versions before the marker holds only manifests: replaced, where any other directory is refused.
  const previousOutput = onlyFilesEndingWith('.k8s.yaml');
  // The cdk8s CLI lists (and validation plugins read) its own output directory: give it the same files.
  // First, since the CLI emptied it anyway: a refusal of either leaves dist/ as it was.
  const cliOut = process.env.CDK8S_OUTDIR;
  if (cliOut && path.resolve(cliOut) !== dist) replaceDirectory(cliOut, files, { previousOutput });
  replaceDirectory(dist, files, { previousOutput });
  for (const f of files.keys()) process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(dist, f))}\n`);
});
